from django.http import JsonResponse
from oauth2_provider.decorators import protected_resource

from .models import GrantCount


@protected_resource(scopes=["read"])
def me(request):
    user = request.resource_owner
    # `account` is past 2^53, as 64-bit ids are: a broker that reads it as a double rounds it.
    return JsonResponse({"sub": str(user.pk), "username": user.username, "email": user.email, "account": (1 << 60) + user.pk})


@protected_resource(scopes=["https://www.googleapis.com/auth/gmail.readonly"])
def messages(request):
    user = request.resource_owner
    items = [{"id": f"{user.username}-m{i}", "threadId": f"t{i}"} for i in range(1, 4)]
    return JsonResponse({"messages": items, "resultSizeEstimate": len(items)})


def stats(request):
    counts = {row.grant_type: row.count for row in GrantCount.objects.all()}
    return JsonResponse(
        {
            "authorization_code_grants": counts.get("authorization_code", 0),
            "refresh_token_grants": counts.get("refresh_token", 0),
        }
    )
