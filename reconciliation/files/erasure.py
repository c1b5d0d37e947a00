"""Erasing a workspace (GDPR): tokens revoked at the providers, files deleted in every region,
rows and key deleted, and a ``WorkspacePurge`` record of who did it, when and how much."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
from django.db import transaction

from reconciliation.files.moves import count_workspace_files
from reconciliation.files.moves import delete_workspace_files

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reconciliation.models import Workspace
    from reconciliation.models import WorkspacePurge


@dataclass
class PurgePlan:
    """What a purge would remove (the dry run), and then what it did."""

    workspace_id: int
    workspace_name: str
    data_region: str
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    connections_to_revoke: int = 0

    def lines(self) -> list[str]:
        rows = ", ".join(f"{label} {count}" for label, count in sorted(self.rows.items()) if count)
        files = ", ".join(f"{region} {count}" for region, count in sorted(self.files.items()))
        return [
            f"Workspace #{self.workspace_id} {self.workspace_name!r} (region {self.data_region})",
            f"Connections to revoke at the providers: {self.connections_to_revoke}",
            f"Files per region: {files}",
            f"Rows: {rows or 'none'}",
            "Key: the workspace's data key",
        ]


def _tenant_models() -> list[type[models.Model]]:
    from reconciliation.models import TenantModel

    return [
        model
        for model in apps.get_app_config("reconciliation").get_models()
        if issubclass(model, TenantModel)
    ]


def plan_purge(workspace: Workspace) -> PurgePlan:
    from reconciliation.models import Connection
    from reconciliation.models import ConnectionStatus
    from reconciliation.models import Membership

    plan = PurgePlan(workspace.pk, workspace.name, workspace.data_region)
    for model in _tenant_models():
        plan.rows[model._meta.model_name or model.__name__] = model._default_manager.filter(
            workspace_id=workspace.pk
        ).count()
    plan.rows["membership"] = Membership.objects.filter(workspace_id=workspace.pk).count()
    plan.files = count_workspace_files(workspace.pk)
    plan.connections_to_revoke = (
        Connection.objects.filter(workspace_id=workspace.pk)
        .exclude(status=ConnectionStatus.REVOKED)
        .count()
    )
    return plan


def purge_workspace(workspace: Workspace, *, actor: AbstractBaseUser | None) -> WorkspacePurge:
    """Erase the workspace for good; returns the audit record that remains."""
    from reconciliation.connections.flows import disconnect
    from reconciliation.models import Connection
    from reconciliation.models import ConnectionStatus
    from reconciliation.models import Workspace
    from reconciliation.models import WorkspacePurge

    plan = plan_purge(workspace)
    revoked = 0
    live = Connection.objects.filter(workspace_id=workspace.pk).exclude(
        status=ConnectionStatus.REVOKED
    )
    for connection in live:
        # The same flow as the admin's Disconnect: revoke at the provider, wipe here.
        revoked += int(disconnect(connection=connection, user=None).revoked_at_provider)
    deleted = delete_workspace_files(workspace.pk)
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        locked.wrapped_data_key = None  # the key goes first: nothing sealed opens again
        locked.save(update_fields=["wrapped_data_key"])
        for model in _tenant_models():
            # Raw deletes: PROTECT (an invoice's document) and the audit tables' append-only
            # rule guard against mistakes, not against erasure; the foreign keys are checked
            # at commit, when every row of the workspace is gone.
            model._base_manager.filter(workspace_id=locked.pk)._raw_delete(using="default")
        locked.delete()
        return WorkspacePurge.objects.create(
            workspace_id_purged=plan.workspace_id,
            workspace_name=plan.workspace_name,
            data_region=plan.data_region,
            purged_by_id=actor.pk if actor is not None else None,
            purged_by_name=actor.get_username() if actor is not None else "",
            counts={
                "rows": {label: count for label, count in plan.rows.items() if count},
                "files": deleted,
                "connections": plan.connections_to_revoke,
                "revoked_at_provider": revoked,
                "data_key": 1,
            },
        )
