"""Connect a workspace to the running sandbox emulators through the real flows (demo only).

`make run` starts fresh emulators each time, so their tokens are new: this command runs the
OAuth and Vault flows again (the emulators consent on the user's behalf) and keeps the rows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser
from django.urls import reverse

from connectors import oauth
from connectors.apideck import ApideckClient
from connectors.config import ApideckConfig
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from reconciliation.connections.flows import complete_apideck
from reconciliation.connections.flows import complete_oauth
from reconciliation.connections.flows import start_apideck_session
from reconciliation.connections.flows import watch_folder
from reconciliation.connections.tokens import apideck_consumer_id
from reconciliation.models import Provider
from reconciliation.models import Workspace

APIDECK_FOLDER_NAME = "Apideck inbox"


def _loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise CommandError(
            f"{url} is not a local emulator; connect_sandbox only talks to loopback."
        )


def _consent(url: str) -> dict[str, list[str]]:
    _loopback_only(url)
    answer = requests.get(url, allow_redirects=False, timeout=10)
    if answer.status_code not in (301, 302, 303):
        raise CommandError(
            f"The emulator did not consent ({answer.status_code}): {answer.text[:200]}"
        )
    return parse_qs(urlsplit(answer.headers["Location"]).query)


class Command(BaseCommand):
    help = "Connect a workspace to the local Dropbox, Apideck and Qonto emulators (demo mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default="demo", help="workspace slug")
        parser.add_argument("--user", default="demo", help="owner of the connections")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.WELL_DEMO:
            raise CommandError("connect_sandbox only runs with WELL_DEMO=1.")
        workspace = Workspace.objects.get(slug=options["workspace"])
        user = get_user_model().objects.filter(username=options["user"]).first()
        for provider in (Provider.DROPBOX, Provider.QONTO):
            redirect_uri = settings.WELL_BASE_URL + reverse(
                "well-connect-callback", args=[provider.value]
            )
            state = oauth.make_state()
            if provider == Provider.DROPBOX:
                pkce = oauth.make_pkce_pair()
                verifier: str | None = pkce.verifier
                url = oauth.dropbox_authorize_url(
                    DropboxConfig.from_settings(),
                    state=state,
                    redirect_uri=redirect_uri,
                    code_challenge=pkce.challenge,
                )
            else:
                verifier = None
                url = oauth.qonto_authorize_url(
                    QontoConfig.from_settings(), state=state, redirect_uri=redirect_uri
                )
            answer = _consent(url)
            if answer.get("state") != [state]:
                raise CommandError(f"{provider.label} answered with another state.")
            result = complete_oauth(
                workspace=workspace,
                provider=provider,
                code=answer["code"][0],
                redirect_uri=redirect_uri,
                code_verifier=verifier,
                user=user,
            )
            self.stdout.write(f"{result.connection.account_label}: connected")
        redirect_uri = settings.WELL_BASE_URL + reverse("well-connect-callback", args=["apideck"])
        _consent(
            start_apideck_session(workspace=workspace, redirect_uri=redirect_uri, user_email="")
        )
        result = complete_apideck(workspace=workspace, user=user)
        folder = self._apideck_inbox(workspace)
        if folder:
            watch_folder(result.connection, folder)
        self.stdout.write(
            f"{result.connection.account_label}: connected (folder {folder or 'root'})"
        )

    def _apideck_inbox(self, workspace: Workspace) -> str:
        client = ApideckClient(ApideckConfig.from_settings())
        for item in client.iter_files(apideck_consumer_id(workspace.pk), "root"):
            if item.is_folder and item.name.strip("/") == APIDECK_FOLDER_NAME:
                return item.id
        return ""
