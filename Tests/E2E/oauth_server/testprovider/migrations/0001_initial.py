from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="GrantCount",
            fields=[
                ("grant_type", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("count", models.IntegerField(default=0)),
            ],
        ),
    ]
