"""Scanned copies of a corpus for the OCR lane of ``bench/parse.py``.

The copies are made by the corpus's own ``scan_docs.py`` (200 dpi greyscale, a small random
rotation, blur, speckles, JPEG 70, no text layer nor XML: the recipe the hidden sets are
scanned with), run with this project's interpreter, and kept under ``bench/out/scans`` so a
second run of the benchmark reuses them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def scanned_copies(corpus: Path, out: Path, *, seed: int = 1) -> Path:
    """``out`` holding one scanned PDF (and its truth JSON) per truth-labelled PDF of
    ``corpus``; made once, reused while every copy is present."""
    script = _scan_script(corpus)
    wanted = [pdf for pdf in corpus.rglob("*.pdf") if pdf.with_suffix(".json").is_file()]
    present = [out / pdf.relative_to(corpus) for pdf in wanted]
    if wanted and all(path.is_file() for path in present):
        return out
    out.mkdir(parents=True, exist_ok=True)
    print(f"scanning {len(wanted)} PDFs of {corpus} into {out} ...", flush=True)
    subprocess.run(
        [sys.executable, str(script), str(corpus), str(out), "--seed", str(seed)],
        check=True,
        timeout=1800,
    )
    return out


def _scan_script(corpus: Path) -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "scan_docs.py"
    for candidate in (corpus / "scan_docs.py", default):
        if candidate.is_file():
            return candidate
    raise SystemExit("scan_docs.py not found next to the corpus")
