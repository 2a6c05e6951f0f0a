from django.db import models


class GrantCount(models.Model):
    """How many token-endpoint requests of each grant type the server has seen."""

    grant_type = models.CharField(max_length=64, primary_key=True)
    count = models.IntegerField(default=0)
