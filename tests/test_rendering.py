"""Page images: rendered in a limited child process, cached by content hash + page + scale, and
never for documents that did not parse, pages past the cap, or hostile files more than once an
hour."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from fpdf import FPDF
from PIL import Image

from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.web import rendering
from tests.factories import make_document
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _pdf(pages: int = 1, size: tuple[float, float] = (595.0, 842.0)) -> bytes:
    pdf = FPDF(unit="pt", format=size)
    pdf.set_font("Helvetica", size=14)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.text(40, 60, f"Invoice page {number}")
    return bytes(pdf.output())


def _document(workspace: Workspace, content: bytes, **fields: object) -> Document:
    fields.setdefault("page_count", 1)
    document = make_document(workspace, size=len(content), **fields)
    document.file.save("doc.pdf", ContentFile(content))
    return document


def test_renders_a_page_and_caches_it(workspace: Workspace) -> None:
    document = _document(workspace, _pdf(pages=2), page_count=2)
    first = rendering.page_image(document=document, page=2)
    assert isinstance(first, rendering.PageImage)
    assert (first.content_type, first.from_cache) == ("image/png", False)
    assert Image.open(io.BytesIO(first.content)).size == (893, 1263)
    for page in (1, 2):
        key = rendering.cache_key(document.workspace_id, document.content_hash, page)
        assert key == (
            f"pages/{document.workspace_id}/{document.content_hash[:2]}/{document.content_hash}"
            f"/p00{page}-s150.png"
        )
        assert default_storage.exists(key)
    again = rendering.page_image(document=document, page=1)
    assert isinstance(again, rendering.PageImage)
    assert again.from_cache is True


@pytest.mark.parametrize(
    ("_case", "status", "page_count", "failure_code", "page", "code"),
    [
        ("new", DocumentStatus.NEW, 1, "", 1, "not_renderable"),
        ("failed", DocumentStatus.FAILED, 1, "crashed", 1, "not_renderable"),
        ("unknown_pages", DocumentStatus.PARSED, None, "", 1, "not_renderable"),
        ("page_zero", DocumentStatus.PARSED, 2, "", 0, "no_such_page"),
        ("past_the_end", DocumentStatus.PARSED, 2, "", 3, "no_such_page"),
        ("past_the_cap", DocumentStatus.PARSED, 30, "", 11, "no_such_page"),
    ],
)
def test_refuses_what_it_must_not_render(
    workspace: Workspace,
    _case: str,
    status: str,
    page_count: int | None,
    failure_code: str,
    page: int,
    code: str,
) -> None:
    document = _document(
        workspace, _pdf(), status=status, page_count=page_count, failure_code=failure_code
    )
    outcome = rendering.page_image(document=document, page=page)
    assert isinstance(outcome, rendering.RenderFailure)
    assert outcome.code == code
    assert not default_storage.exists(
        rendering.cache_key(document.workspace_id, document.content_hash, page)
    )


def test_shows_at_most_ten_pages(workspace: Workspace) -> None:
    document = _document(workspace, _pdf(), page_count=30)
    assert rendering.renderable_page_count(document) == 10


def test_a_huge_page_is_rendered_smaller(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(_pdf(size=(14400.0, 14400.0)))
    pages = rendering.render_isolated(path, pages=1)
    assert isinstance(pages, dict)
    width, height = Image.open(io.BytesIO(pages[1])).size
    assert width * height <= rendering.MAX_PAGE_PIXELS
    assert (width, height) == (3461, 3461)


@pytest.mark.parametrize(
    ("_case", "content", "limits", "code"),
    [
        ("not_a_pdf", b"%PDF-1.4 nothing here %%EOF", {}, "unreadable"),
        ("too_slow", None, {"wall_seconds": 0.01}, "timeout"),
        ("too_big_for_memory", None, {"memory_mb": 1}, "unreadable"),
    ],
)
def test_a_hostile_file_ends_as_a_failure(
    tmp_path: Path, _case: str, content: bytes | None, limits: dict[str, float], code: str
) -> None:
    path = tmp_path / "file.pdf"
    path.write_bytes(content if content is not None else _pdf(size=(14400.0, 14400.0)))
    outcome = rendering.render_isolated(path, pages=1, **limits)  # type: ignore[arg-type]
    assert isinstance(outcome, rendering.RenderFailure)
    assert outcome.code == code


def test_a_failure_is_remembered_for_an_hour(workspace: Workspace) -> None:
    document = _document(workspace, b"%PDF-1.4 broken %%EOF")
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        first = rendering.page_image(document=document, page=1)
        assert isinstance(first, rendering.RenderFailure)
        assert first.code == "unreadable"
        # Even once the file is fine, the remembered failure answers without a new render.
        document.file.save("fixed.pdf", ContentFile(_pdf()))
        second = rendering.page_image(document=document, page=1)
        assert second == first
    with time_machine.travel("2026-11-27 11:00:01+00:00", tick=False):
        third = rendering.page_image(document=document, page=1)
    assert isinstance(third, rendering.PageImage)


def test_the_page_view_says_when_a_page_cannot_be_shown(workspace: Workspace) -> None:
    document = _document(workspace, b"%PDF-1.4 broken %%EOF")
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(user)
    response = client.get(reverse("admin:reconciliation-review-page", args=[document.pk, 1]))
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert response.content == b"The pages of this PDF could not be rendered."
    assert response["Cache-Control"] == "no-store"


def test_the_page_view_marks_images_private(workspace: Workspace) -> None:
    document = _document(workspace, _pdf())
    user = make_user(workspace=workspace, role=Role.AUDITOR)
    client = logged_in_client(user)
    response = client.get(reverse("admin:reconciliation-review-page", args=[document.pk, 1]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"


def test_renderer_never_sees_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELL_MASTER_KEY", "secret-that-must-stay-here")
    environment = rendering.child_environment()
    assert "WELL_MASTER_KEY" not in environment
    assert "SECRET_KEY" not in environment
    assert set(environment) <= {
        *rendering.PASSED_ENVIRONMENT,
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
    }
