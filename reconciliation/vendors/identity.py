"""Who the workspace's company is: the names a document may use for *us* (buyer, payee)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciliation.models import Connection
from reconciliation.models import Workspace
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.names import normalize_counterparty


@dataclass(frozen=True)
class OwnNames:
    """The names the workspace's company goes by (its own name, its Qonto organisation)."""

    names: tuple[str, ...]
    vat_ids: tuple[str, ...] = ()
    #: The names as written (the reader compares them its own way).
    written: tuple[str, ...] = ()

    @classmethod
    def of(cls, workspace_id: int) -> OwnNames:
        workspace = Workspace.objects.get(pk=workspace_id)
        names = [workspace.name]
        vat_ids = tuple(filter(None, [compact_vat_id(workspace.vat_id)]))
        for label in (
            Connection.objects.for_workspace(workspace_id)
            .banks()
            .values_list("account_label", flat=True)
        ):
            names.append(label.split("·", 1)[-1])
        return cls(
            tuple(n for n in (normalize_counterparty(name) for name in names) if n),
            vat_ids,
            tuple(name.strip() for name in names if name.strip()),
        )

    def for_reader(self) -> dict[str, list[str]]:
        """What the isolated PDF reader is told about us, so it never returns our own name
        or VAT id as the supplier's (the buyer's block read as the seller's)."""
        return {"names": list(self.written), "vat_ids": list(self.vat_ids)}

    def is_us(self, normalized_beneficiary: str) -> bool:
        """Exactly our name once legal forms and punctuation are gone: a supplier with a
        similar name must never turn our payment to them into money received."""
        return bool(normalized_beneficiary) and normalized_beneficiary in self.names

    def is_our_vat_id(self, value: str) -> bool:
        return bool(value) and compact_vat_id(value) in self.vat_ids
