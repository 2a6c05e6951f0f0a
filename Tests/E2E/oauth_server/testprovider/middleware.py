import json
import os

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


class OmitExpiresIn:
    """With OMIT_EXPIRES_IN=1, token answers leave out `expires_in` (as Zendesk does unless asked,
    and as some providers always do): the client has to assume a lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if os.environ.get("OMIT_EXPIRES_IN") == "1" and request.path == "/o/token/" and response.status_code == 200:
            body = json.loads(response.content)
            body.pop("expires_in", None)
            response.content = json.dumps(body).encode()
            response["Content-Length"] = str(len(response.content))
        return response
