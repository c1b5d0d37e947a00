"""Connect buttons and provider callbacks. State travels in the session, never in the URL alone."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.http import require_POST

from connectors import oauth
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.errors import ConnectorError
from reconciliation.connections.flows import ConnectionNotReadyError
from reconciliation.connections.flows import complete_apideck
from reconciliation.connections.flows import complete_oauth
from reconciliation.connections.flows import start_apideck_session
from reconciliation.models import Provider
from reconciliation.models import Workspace
from reconciliation.web.access import MANAGE_ROLES
from reconciliation.web.access import has_role

logger = logging.getLogger(__name__)

SESSION_KEY = "well_connect"
STATE_LIFETIME_SECONDS = 15 * 60


def _callback_url(provider: str) -> str:
    return settings.WELL_BASE_URL + reverse("well-connect-callback", args=[provider])


def _connections_page() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:reconciliation_connection_changelist"))


def _workspace_for_admin(request: HttpRequest, workspace_id: int) -> Workspace:
    workspace = get_object_or_404(Workspace.objects.for_user(request.user), pk=workspace_id)
    if not has_role(request, workspace.pk, MANAGE_ROLES):
        raise PermissionDenied("Only administrators of this workspace can connect providers.")
    return workspace


def _remember(request: HttpRequest, state: str, data: dict[str, Any]) -> None:
    pending = {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if value.get("created", 0) > time.time() - STATE_LIFETIME_SECONDS
    }
    pending[state] = {**data, "created": time.time()}
    request.session[SESSION_KEY] = pending


def _recall(request: HttpRequest, state: str | None, provider: str) -> dict[str, Any] | None:
    pending: dict[str, Any] = request.session.get(SESSION_KEY, {})
    data = pending.pop(state or "", None)
    request.session[SESSION_KEY] = pending
    if (
        data is None
        or data.get("provider") != provider
        or data.get("created", 0) < time.time() - STATE_LIFETIME_SECONDS
    ):
        return None
    return dict(data)


@login_required
@require_POST
def start(request: HttpRequest, workspace_id: int, provider: str) -> HttpResponse:
    workspace = _workspace_for_admin(request, workspace_id)
    state = oauth.make_state()
    if provider == Provider.DROPBOX:
        pkce = oauth.make_pkce_pair()
        _remember(
            request,
            state,
            {"workspace": workspace.pk, "provider": provider, "verifier": pkce.verifier},
        )
        url = oauth.dropbox_authorize_url(
            DropboxConfig.from_settings(),
            state=state,
            redirect_uri=_callback_url(provider),
            code_challenge=pkce.challenge,
        )
    elif provider == Provider.QONTO:
        _remember(request, state, {"workspace": workspace.pk, "provider": provider})
        url = oauth.qonto_authorize_url(
            QontoConfig.from_settings(), state=state, redirect_uri=_callback_url(provider)
        )
    elif provider == Provider.APIDECK:
        _remember(request, state, {"workspace": workspace.pk, "provider": provider})
        try:
            url = start_apideck_session(
                workspace=workspace,
                redirect_uri=f"{_callback_url(provider)}?state={state}",
                user_email=getattr(request.user, "email", ""),
            )
        except ConnectorError as error:
            messages.error(request, f"Apideck could not start a Vault session: {error}")
            return _connections_page()
    else:
        raise PermissionDenied("Unknown provider.")
    return HttpResponseRedirect(url)


@login_required
@require_GET
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    data = _recall(request, request.GET.get("state"), provider)
    if data is None:
        messages.error(
            request,
            "This connection attempt expired or did not start here; click Connect again.",
        )
        return _connections_page()
    workspace = _workspace_for_admin(request, int(data["workspace"]))
    if error := request.GET.get("error"):
        description = request.GET.get("error_description", "")
        messages.error(request, f"The provider refused the connection: {error} {description}")
        return _connections_page()
    try:
        if provider == Provider.APIDECK:
            result = complete_apideck(workspace=workspace, user=request.user)  # type: ignore[arg-type]
        else:
            code = request.GET.get("code", "")
            if not code:
                messages.error(request, "The provider sent no authorisation code.")
                return _connections_page()
            result = complete_oauth(
                workspace=workspace,
                provider=Provider(provider),
                code=code,
                redirect_uri=_callback_url(provider),
                code_verifier=data.get("verifier"),
                user=request.user,  # type: ignore[arg-type]
            )
    except (ConnectorError, ConnectionNotReadyError) as error:
        logger.warning("connect %s for workspace %s failed: %s", provider, workspace.pk, error)
        messages.error(request, f"Connecting failed: {error}")
        return _connections_page()
    messages.success(request, f"{result.connection.account_label} is connected to {workspace}.")
    return _connections_page()
