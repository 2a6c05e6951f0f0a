from oauth2_provider.oauth2_validators import OAuth2Validator


class EmailClaims(OAuth2Validator):
    """ID tokens name the user by email (the app's user id in the tests), verified, when the
    `email` scope was granted."""

    def get_additional_claims(self, request):
        return {"email": request.user.email, "email_verified": True}
