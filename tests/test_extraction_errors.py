"""How a library's exception on a broken PDF is put in words: one rule (`describe_error`) for
the engine's broken-PDF message, its damaged-page warning and the reader's failure detail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciliation.extraction.child import _extract
from reconciliation.extraction.errors import UnreadablePdfError
from reconciliation.extraction.errors import describe_error


class PSSyntaxError(Exception):
    pass


def test_a_wrapped_error_is_named_by_the_error_it_wraps() -> None:
    wrapped = ValueError(PSSyntaxError("invalid token b'endobj'"))
    assert describe_error(wrapped) == "PSSyntaxError: invalid token b'endobj'"


def test_an_error_is_named_by_its_class_and_its_text() -> None:
    assert describe_error(KeyError("Root")) == "KeyError: 'Root'"


def test_an_error_without_text_is_its_class_alone() -> None:
    assert describe_error(PSSyntaxError("  ")) == "PSSyntaxError"


def test_a_long_text_keeps_its_first_120_characters() -> None:
    described = describe_error(PSSyntaxError("x" * 400))
    assert described == "PSSyntaxError: " + "x" * 120


def test_the_reader_reports_a_library_error_in_the_same_words(tmp_path: Path) -> None:
    def engine(path: str, **options: Any) -> Any:
        raise TypeError(PSSyntaxError("y" * 400))

    answer = _extract(engine, str(tmp_path / "broken.pdf"), use_xml=True, max_pages=5)
    assert answer == {"ok": False, "code": "unreadable", "detail": "PSSyntaxError: " + "y" * 120}


def test_the_reader_reports_the_engines_broken_pdf_as_it_was_worded(tmp_path: Path) -> None:
    def engine(path: str, **options: Any) -> Any:
        raise UnreadablePdfError("broken PDF (PSSyntaxError: invalid token)")

    answer = _extract(engine, str(tmp_path / "broken.pdf"), use_xml=True, max_pages=5)
    assert answer["detail"] == "UnreadablePdfError: broken PDF (PSSyntaxError: invalid token)"


def test_the_reader_keeps_the_engines_whole_message(tmp_path: Path) -> None:
    """The engine already cut the library's text; the reader does not cut the engine's end."""
    message = f"broken PDF ({describe_error(PSSyntaxError('z' * 400))})"

    def engine(path: str, **options: Any) -> Any:
        raise UnreadablePdfError(message)

    answer = _extract(engine, str(tmp_path / "broken.pdf"), use_xml=True, max_pages=5)
    assert answer["detail"] == f"UnreadablePdfError: {message}"
    assert answer["detail"].endswith("z)")
