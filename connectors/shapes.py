"""Shapes shared by every client: the lenient pydantic base every provider schema builds on, and
the downloaded file both file-storage clients return."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from pydantic import BaseModel
from pydantic import ConfigDict


class Lenient(BaseModel):
    """Provider answers are validated at the edge but never refused for fields we do not read:
    unknown keys are ignored, instances are immutable, and aliased fields (Dropbox's ``.tag``) can
    also be filled by name."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


@dataclass(frozen=True)
class DownloadedFile:
    """A file's bytes as downloaded. ``content_hash`` is the provider's own hash, already checked
    against the bytes (Dropbox); ``revision`` identifies the version (Dropbox ``rev``)."""

    file_id: str
    content: bytes = field(repr=False)
    name: str | None = None
    content_type: str | None = None
    content_hash: str | None = None
    revision: str | None = None
