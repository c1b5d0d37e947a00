from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus


def well(request: HttpRequest) -> dict[str, Any]:
    """Banners shown on every admin page: connections that need someone to act."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return {}
    attention = (
        Connection.objects.for_user(user)
        .filter(status__in=(ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR))
        .select_related("workspace")
        .only("id", "provider", "status", "last_error", "workspace__name", "account_label")
    )
    return {"well_connections_needing_attention": list(attention[:10])}
