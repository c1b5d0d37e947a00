from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING
from typing import Any
from typing import Self
from typing import TypeAlias
from typing import TypeVar
from typing import overload

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from reconciliation.money import MONEY_DECIMAL_PLACES
from reconciliation.money import MONEY_MAX_DIGITS
from reconciliation.money import RATE_DECIMAL_PLACES
from reconciliation.money import RATE_MAX_DIGITS
from reconciliation.money import validate_currency

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User

    from reconciliation.models.workspace import Workspace

_M = TypeVar("_M", bound=models.Model)

if TYPE_CHECKING:
    #: An optional link to a row of `_M`'s model (see `optional_link`).
    OptionalLink: TypeAlias = models.ForeignKey[_M | None, _M | None]


class IllegalTransitionError(Exception):
    """A status change that the model's state machine does not allow."""

    def __init__(self, model: str, current: str, target: str) -> None:
        super().__init__(f"A {model} cannot go from {current!r} to {target!r}.")
        self.current = current
        self.target = target


class TenantQuerySet(models.QuerySet[_M]):
    """Every tenant-owned model's queryset: rows are always read through a workspace."""

    def for_workspace(self, workspace: Workspace | int) -> Self:
        return self.filter(workspace=workspace)

    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """Rows of the workspaces the user belongs to (all rows for a superuser)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(workspace__memberships__user=user).distinct()


def money_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def currency_field(**kwargs: Any) -> models.CharField[Any, Any]:
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("validators", [validate_currency])
    return models.CharField(**kwargs)


def rate_field(verbose_name: str | None = None, **kwargs: Any) -> models.DecimalField[Any, Any]:
    """An exchange rate, stored with the digits the rates are quoted with."""
    return models.DecimalField(
        verbose_name, max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES, **kwargs
    )


@overload
def optional_link(to: type[_M], **kwargs: Any) -> OptionalLink[_M]: ...
@overload
def optional_link(to: str, **kwargs: Any) -> models.ForeignKey[Any, Any]: ...
def optional_link(to: Any, **kwargs: Any) -> models.ForeignKey[Any, Any]:
    """A link that may be empty, and is emptied (the row stays) when its target is deleted.
    Named by a string (a model not importable here), it is declared as an `OptionalLink`."""
    return models.ForeignKey(to, on_delete=models.SET_NULL, null=True, blank=True, **kwargs)


def person_field(**kwargs: Any) -> OptionalLink[User]:
    """The person who did something (decided, confirmed, owns): empty when nobody or Well did
    it, and emptied when the user is deleted; no reverse accessor unless one is named."""
    kwargs.setdefault("related_name", "+")
    return optional_link(settings.AUTH_USER_MODEL, **kwargs)


def unique_qonto_id(name: str, condition: models.Q | None = None) -> models.UniqueConstraint:
    """A Qonto object is known once in a workspace, by its Qonto id (where `condition` holds:
    a row that has one)."""
    return models.UniqueConstraint(fields=["workspace", "qonto_id"], condition=condition, name=name)


def confidence_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    """A percentage in [0, 100] with two decimals; Decimal so 84.99 < 85 holds exactly."""
    return models.DecimalField(max_digits=5, decimal_places=2, **kwargs)


class TenantModel(models.Model):
    """Abstract base of every row that belongs to one workspace."""

    workspace = models.ForeignKey(
        "reconciliation.Workspace", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True

    _stored_workspace_id: int | None = None

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = self._stored_workspace_id
        if stored is not None and self.workspace_id != stored:
            raise ValidationError(
                {"workspace": "A row never moves to another workspace."}, code="workspace_moved"
            )
        super().save(*args, **kwargs)
        self._stored_workspace_id = self.workspace_id

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        # The workspace the row was stored in: it never changes (save refuses a move).
        instance._stored_workspace_id = instance.__dict__.get("workspace_id")
        return instance

    def clean(self) -> None:
        super().clean()
        stored = self._stored_workspace_id
        if stored is not None and self.workspace_id != stored:
            raise ValidationError({"workspace": "A row never moves to another workspace."})
        self.validate_same_workspace()

    def validate_same_workspace(self) -> None:
        """Refuse a foreign key that points at another workspace's row."""
        workspace_id = getattr(self, "workspace_id", None)
        errors: dict[str, str] = {}
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "workspace":
                continue
            related_model = field.related_model
            if not isinstance(related_model, type) or not issubclass(related_model, TenantModel):
                continue
            related_id = getattr(self, field.attname)
            if related_id is None or workspace_id is None:
                continue
            related_workspace = (
                related_model._default_manager.filter(pk=related_id)
                .values_list("workspace_id", flat=True)
                .first()
            )
            if related_workspace != workspace_id:
                errors[field.name] = "This belongs to another workspace."
        if errors:
            raise ValidationError(errors)
