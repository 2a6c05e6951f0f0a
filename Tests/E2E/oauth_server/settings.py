"""Settings for the test authorization server. Everything comes from the environment the
test harness sets: the database path and the access-token lifetime."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
    "testprovider",
]
MIDDLEWARE = [
    "testprovider.middleware.IssuedTokenLog",
    "testprovider.middleware.TokenGrantCounter",
    "testprovider.middleware.TokenAnswerSwitches",
    "testprovider.middleware.AuthorizeIssSwitch",
    "testprovider.middleware.TokenAnswerDelay",
    "testprovider.middleware.RevocationOutage",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("OAUTH_SERVER_DB", str(BASE_DIR / "db.sqlite3")),
        # IMMEDIATE: concurrent refreshes wait for the write lock instead of failing on a
        # read-to-write upgrade (SQLite reports that deadlock at once, whatever the timeout).
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}
USE_TZ = True
LOGIN_URL = "/accounts/login/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test users only

OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read your profile",
        "write": "Write things",
        "https://www.googleapis.com/auth/gmail.readonly": "Read your mail",
    },
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("ACCESS_TOKEN_EXPIRE_SECONDS", "3600")),
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
}

# Two instances share 127.0.0.1 in one browser: each names its own cookies.
SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "sessionid")
CSRF_COOKIE_NAME = os.environ.get("CSRF_COOKIE_NAME", "csrftoken")

# As an OpenID Provider (the app's own sign-in, for Gatehouse's OIDC user verification): ID
# tokens signed RS256 with the key the harness generated, carrying the user's email.
if os.environ.get("OIDC_RSA_PRIVATE_KEY"):
    OAUTH2_PROVIDER["OIDC_ENABLED"] = True
    OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = os.environ["OIDC_RSA_PRIVATE_KEY"]
    OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"] = os.environ["OIDC_ISSUER"]
    OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"] = "testprovider.oidc.EmailClaims"
    OAUTH2_PROVIDER["SCOPES"] = dict(OAUTH2_PROVIDER["SCOPES"], openid="Sign you in", email="Know your email address")
