from django.db.models import F

from .models import GrantCount


class TokenGrantCounter:
    """Counts POSTs to the token endpoint by grant_type, in the database so that every
    runserver thread sees the same numbers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == "/o/token/":
            grant = request.POST.get("grant_type", "")
            row, _ = GrantCount.objects.get_or_create(grant_type=grant)
            GrantCount.objects.filter(grant_type=grant).update(count=F("count") + 1)
        return self.get_response(request)
