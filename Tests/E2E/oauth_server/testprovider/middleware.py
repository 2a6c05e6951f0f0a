import json
import os
import time
from urllib.parse import urlencode

from django.db.models import F
from django.http import HttpResponse

from .models import GrantCount


class IssuedTokenLog:
    """Writes every token the token endpoint hands out (the answer as it leaves, switches applied:
    any string under `access_token`, `refresh_token` or `id_token` at any depth) to the file
    ISSUED_TOKENS_FILE names, one a line, so the tests can look for each in Gatehouse's logs: the
    database keeps only the latest, as rotation deletes the others."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = os.environ.get("ISSUED_TOKENS_FILE")
        if not path or request.path != "/o/token/" or response.status_code != 200:
            return response
        tokens = []

        def collect(value, under_token=False):
            if isinstance(value, dict):
                for key, inner in value.items():
                    collect(inner, under_token or key in ("access_token", "refresh_token", "id_token"))
            elif isinstance(value, list):
                for inner in value:
                    collect(inner, under_token)
            elif isinstance(value, str) and under_token and value:
                tokens.append(value)

        collect(json.loads(response.content))
        with open(path, "a") as file:
            file.write("".join(f"{token}\n" for token in tokens))
        return response


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


class TokenAnswerSwitches:
    """Test switches on token answers. OMIT_EXPIRES_IN=1 leaves out `expires_in` (as Zendesk
    does unless asked, and as some providers always do): the client has to assume a lifetime.
    ANSWER_INSTANCE_URL=1 adds `instance_url`, this server's own origin, as Salesforce names the
    org's host that later calls go to. OMIT_REFRESH_TOKEN=1 leaves out `refresh_token`, as GitHub
    OAuth apps and Slack without rotation answer (with no `expires_in` either: the token does not
    expire). NEST_USER_TOKENS=1 answers as Slack does: the user's tokens under `authed_user`,
    and a token of the app's own (not the user's) at the top."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path != "/o/token/" or response.status_code != 200:
            return response
        body = json.loads(response.content)
        if os.environ.get("OMIT_EXPIRES_IN") == "1":
            body.pop("expires_in", None)
        if os.environ.get("OMIT_REFRESH_TOKEN") == "1":
            body.pop("refresh_token", None)
        if os.environ.get("NEST_USER_TOKENS") == "1":
            user = {key: body.pop(key) for key in ("access_token", "refresh_token") if key in body}
            body.update(ok=True, access_token="xoxb-app-" + "0" * 24, authed_user=user)
        if os.environ.get("ANSWER_INSTANCE_URL") == "1":
            body["instance_url"] = f"{request.scheme}://{request.get_host()}"
        response.content = json.dumps(body).encode()
        response["Content-Length"] = str(len(response.content))
        return response


class AuthorizeIssSwitch:
    """Test switch on the authorization response (RFC 9207): when AUTHORIZE_ISS_FILE names a
    file, the redirect back to the client gets `iss` set to the file's text (read per request, so
    a test can change it between flows); an empty file sends none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = os.environ.get("AUTHORIZE_ISS_FILE")
        location = response.get("Location", "")
        if not path or request.path != "/o/authorize/" or response.status_code != 302 or "state=" not in location:
            return response
        with open(path) as file:
            iss = file.read().strip()
        if iss:
            response["Location"] = location + ("&" if "?" in location else "?") + urlencode({"iss": iss})
        return response


class TokenAnswerDelay:
    """Test switches on the token endpoint: when REFRESH_ANSWER_DELAY_FILE (refresh_token grants)
    or CODE_ANSWER_DELAY_FILE (authorization_code grants) names a file, the grant is answered that
    many seconds (the file's text, read per request) after the tokens were issued, as a slow
    network or provider would. An empty file or 0: at once."""

    SWITCHES = {"refresh_token": "REFRESH_ANSWER_DELAY_FILE", "authorization_code": "CODE_ANSWER_DELAY_FILE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        switch = None
        if request.method == "POST" and request.path == "/o/token/":
            switch = self.SWITCHES.get(request.POST.get("grant_type"))
        response = self.get_response(request)
        path = os.environ.get(switch) if switch else None
        if path:
            with open(path) as file:
                time.sleep(float(file.read().strip() or "0"))
        return response


class RevocationOutage:
    """Test switch on the revocation endpoint: while the file REVOCATION_OUTAGE_FILE names
    exists, a revocation is answered 503 and nothing is revoked, as by a provider that is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = os.environ.get("REVOCATION_OUTAGE_FILE")
        if path and request.path == "/o/revoke_token/" and os.path.exists(path):
            return HttpResponse(
                b'{"error":"temporarily_unavailable"}', status=503, content_type="application/json")
        return self.get_response(request)
