from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application


class Command(BaseCommand):
    help = "Create the test users and (re)register one confidential client."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True)
        parser.add_argument(
            "--openid", action="store_true",
            help="the app's own sign-in: RS256 ID tokens, and no consent page for a signed-in user")

    def handle(self, *args, **options):
        for name in ("alice", "bob"):
            if not User.objects.filter(username=name).exists():
                User.objects.create_user(name, f"{name}@example.com", f"{name}-password")
        Application.objects.filter(client_id=options["client_id"]).delete()
        Application.objects.create(
            name="gatehouse",
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(options["redirect_uri"]),
            skip_authorization=options["openid"],
            algorithm="RS256" if options["openid"] else "",
        )
