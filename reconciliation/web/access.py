"""Who may do what: roles per workspace, cached on the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator

from reconciliation.models import Membership
from reconciliation.models import Role
from reconciliation.models import Workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

#: What each role may do in the admin.
EDIT_ROLES = frozenset({Role.ADMIN, Role.REVIEWER})
MANAGE_ROLES = frozenset({Role.ADMIN})
ALL_ROLES = frozenset(Role)


def roles_by_workspace(request: HttpRequest) -> dict[int, Role]:
    """{workspace id: role} for the current user, computed once per request."""
    cached: dict[int, Role] | None = getattr(request, "_well_roles", None)
    if cached is None:
        user = request.user
        if not user.is_authenticated:
            cached = {}
        else:
            cached = {
                workspace_id: Role(role)
                for workspace_id, role in Membership.objects.filter(user_id=user.pk).values_list(
                    "workspace_id", "role"
                )
            }
        request._well_roles = cached  # type: ignore[attr-defined]
    return cached


def workspace_ids_with(request: HttpRequest, roles: frozenset[Role]) -> list[int]:
    return [pk for pk, role in roles_by_workspace(request).items() if role in roles]


def has_role(request: HttpRequest, workspace_id: int | None, roles: frozenset[Role]) -> bool:
    if request.user.is_superuser:
        return True
    if workspace_id is None:
        return any(role in roles for role in roles_by_workspace(request).values())
    return roles_by_workspace(request).get(workspace_id) in roles


def visible_workspaces(request: HttpRequest) -> list[Workspace]:
    """The workspaces the user may see, by name (the roles are already cached on the request)."""
    if request.user.is_superuser:
        return list(Workspace.objects.order_by("name"))
    return list(Workspace.objects.filter(pk__in=list(roles_by_workspace(request))).order_by("name"))


def requires_mfa(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True when the user must enrol MFA and has not done so yet."""
    if not user.is_authenticated:
        return False
    privileged = (
        getattr(user, "is_superuser", False)
        or Membership.objects.filter(user_id=user.pk, role=Role.ADMIN).exists()
    )
    if not privileged:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
