"""What isolation costs per document: the engine called in-process, through the persistent
reader, and through a fresh reader per document.

    .venv/bin/python -m bench.isolation [PATH ...] [--repeat N]

PATH defaults to ../shared/corpus; directories are walked for *.pdf.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.isolation import CODE_ROOT
from reconciliation.extraction.isolation import ExtractionFailure
from reconciliation.extraction.isolation import Limits
from reconciliation.extraction.isolation import extract_isolated
from reconciliation.extraction.isolation import stop_reader
from reconciliation.extraction.types import Extraction

Outcome = Extraction | ExtractionFailure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[CODE_ROOT.parent / "shared/corpus"])
    parser.add_argument("--repeat", type=int, default=2, help="passes over the files per mode")
    arguments = parser.parse_args()
    files = sorted(
        pdf
        for path in arguments.paths
        for pdf in ([path] if path.is_file() else path.rglob("*.pdf"))
    )
    limits = Limits()

    def in_process(path: Path) -> Outcome:
        return extract_document(path, max_pages=limits.max_pages)

    def persistent(path: Path) -> Outcome:
        return extract_isolated(path, limits=limits)

    def fresh(path: Path) -> Outcome:
        return extract_isolated(path, limits=limits, fresh_child=True)

    stop_reader()
    start = time.perf_counter()
    persistent(files[0])
    print(f"reader start (spawn, imports, warm-up, first document): {_ms(start)} ms\n")

    modes: list[tuple[str, Callable[[Path], Outcome]]] = [
        ("in-process (no isolation)", in_process),
        ("persistent reader", persistent),
        ("fresh reader per document", fresh),
    ]
    rows = _measure(modes, files, arguments.repeat)
    baseline = rows[0][1]
    print(
        f"{len(files)} files x {arguments.repeat} passes\n"
        f"{'mode':<28}{'docs':>6}{'pages':>7}{'mean ms':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'overhead ms':>13}{'pages/s':>9}{'failed':>8}"
    )
    for name, mean, p50, p99, docs, pages, failed, seconds in rows:
        print(
            f"{name:<28}{docs:>6}{pages:>7}{mean * 1000:>9.1f}{p50 * 1000:>8.1f}"
            f"{p99 * 1000:>8.1f}{(mean - baseline) * 1000:>13.1f}{pages / seconds:>9.1f}"
            f"{failed:>8}"
        )
    stop_reader()


def _measure(
    modes: list[tuple[str, Callable[[Path], Outcome]]], files: list[Path], repeat: int
) -> list[tuple[str, float, float, float, int, int, int, float]]:
    """Modes take turns on each file, so drift (cache, frequency, noise) hits them alike."""
    timings: dict[str, list[float]] = {name: [] for name, _ in modes}
    pages = dict.fromkeys(timings, 0)
    failed = dict.fromkeys(timings, 0)
    for _ in range(repeat):
        for path in files:
            for name, run in modes:
                start = time.perf_counter()
                try:
                    outcome: Outcome | None = run(path)
                except Exception:
                    outcome = None
                timings[name].append(time.perf_counter() - start)
                if isinstance(outcome, Extraction):
                    pages[name] += outcome.page_count
                else:
                    failed[name] += 1
    rows = []
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
        rows.append(
            (
                name,
                statistics.fmean(values),
                statistics.median(values),
                p99,
                len(values),
                pages[name],
                failed[name],
                sum(values),
            )
        )
    return rows


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:.0f}"


if __name__ == "__main__":
    main()
