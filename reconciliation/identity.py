"""Who the workspace's company is: the names a document may use for *us* (buyer, payee)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciliation.matching.names import normalize_name
from reconciliation.models import Connection, Workspace


@dataclass(frozen=True)
class OwnNames:
    """The names the workspace's company goes by (its own name, its Qonto organisation)."""

    names: tuple[str, ...]

    @classmethod
    def of(cls, workspace_id: int) -> OwnNames:
        workspace = Workspace.objects.get(pk=workspace_id)
        names = [workspace.name]
        for label in (
            Connection.objects.for_workspace(workspace_id)
            .banks()
            .values_list("account_label", flat=True)
        ):
            names.append(label.split("·", 1)[-1])
        return cls(tuple(n for n in (normalize_name(name) for name in names) if n))

    def is_us(self, normalized_beneficiary: str) -> bool:
        """Exactly our name once legal forms and punctuation are gone: a supplier with a
        similar name must never turn our payment to them into money received."""
        return bool(normalized_beneficiary) and normalized_beneficiary in self.names
