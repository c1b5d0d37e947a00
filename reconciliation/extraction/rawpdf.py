"""PDF files written object by object, for the few places that need exact bytes: the reader's
warm-up sample and the hostile files of the tests. No Django, no PDF library."""

from __future__ import annotations

from collections.abc import Sequence

#: A PDF 1.7 header with the binary comment line that marks the file as binary.
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def pdf_stream(data: bytes, entries: bytes = b"") -> bytes:
    """A stream object's body: its dictionary (``/Length`` then ``entries``) and ``data``."""
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), entries, data)


def raw_pdf(bodies: Sequence[bytes], *, header: bytes = PDF_HEADER) -> bytes:
    """A PDF from object bodies numbered 1..n, object 1 being the catalog, with an exact
    cross-reference table."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)
