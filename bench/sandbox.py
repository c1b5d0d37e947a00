"""Emulator throughput: how fast the sandbox answers, so benchmarks built on it (bench/post.py)
know the emulator is not their bottleneck.

    .venv/bin/python bench/sandbox.py [--invoices 1000] [--files 2000]

Prints one table: Qonto bulk uploads (20 PDFs a request) with 1, 2 and 4 concurrent clients,
with faults off and with 10 % random faults (500/503/429, stalls after processing, dropped
connections) retried with the same keys; then Dropbox list_folder paging and downloads. Every
run ends by checking the emulator holds exactly one supplier invoice per key.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.sandbox import Sandbox
from connectors.sandbox import start_sandbox

BULK = "/v2/supplier_invoices/bulk"
PDF = b"%PDF-1.7\n" + b"supplier invoice line\n" * 2000  # ~44 kB, a typical one-page invoice
RANDOM_FAULTS: list[Mapping[str, Any]] = [
    {"status": 500},
    {"status": 503},
    {"status": 429, "retry_after": 0},
    {"delay_after_processing": 0.3},
    {"drop": "after_processing"},
]


@dataclass
class Row:
    name: str
    operations: int
    seconds: float
    latencies: list[float]
    attempts: int
    note: str = ""

    def cells(self) -> list[str]:
        ordered = sorted(self.latencies) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return [
            self.name,
            str(self.operations),
            f"{self.seconds:.2f}",
            f"{self.operations / self.seconds:.0f}" if self.seconds else "-",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
            str(self.attempts),
            self.note,
        ]


def post_invoices(sandbox: Sandbox, *, invoices: int, clients: int, faulty: bool) -> Row:
    qonto = sandbox.qonto
    qonto.reset()
    if faulty:
        qonto.inject_fault(BULK, faults=RANDOM_FAULTS, probability=0.1, seed=11, method="POST")
    token = qonto.issue_token()["access_token"]
    batches = [list(range(start, min(start + 20, invoices))) for start in range(0, invoices, 20)]
    latencies: list[float] = []
    attempts = [0]
    lock = threading.Lock()

    def worker(mine: list[list[int]]) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for batch in mine:
            files: list[tuple[str, Any]] = []
            for number in batch:
                content = PDF + str(number).encode()
                files.append(
                    ("supplier_invoices[][file]", (f"inv-{number}.pdf", content, "application/pdf"))
                )
                files.append(("supplier_invoices[][idempotency_key]", (None, f"key-{number}")))
            while True:
                started = time.perf_counter()
                with lock:
                    attempts[0] += 1
                try:
                    response = session.post(
                        qonto.url(BULK), files=files, timeout=(2, 0.2 if faulty else 10)
                    )
                except requests.exceptions.RequestException:
                    session.close()
                    continue
                if response.status_code == 200:
                    with lock:
                        latencies.append(time.perf_counter() - started)
                    break

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(batches[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    counts = qonto.invoice_count_by_idempotency_key()
    check = "ok" if len(counts) == invoices and set(counts.values()) == {1} else f"BAD {counts}"
    name = f"qonto bulk, {clients} client{'s' if clients > 1 else ''}" + (
        ", 10% faults" if faulty else ""
    )
    return Row(name, invoices, elapsed, latencies, attempts[0], f"1 invoice per key: {check}")


def dropbox_rows(sandbox: Sandbox, *, files: int) -> list[Row]:
    dropbox = sandbox.dropbox
    dropbox.reset()
    for number in range(files):
        dropbox.put_file(
            f"/Invoices/{number // 500:02d}/inv-{number}.pdf", PDF + str(number).encode()
        )
    headers = {"Authorization": f"Bearer {dropbox.issue_token()['access_token']}"}
    session = requests.Session()

    started = time.perf_counter()
    page = session.post(
        dropbox.url("/2/files/list_folder"),
        json={"path": "/Invoices", "recursive": True, "limit": 500},
        headers=headers,
        timeout=30,
    ).json()
    pages, entries = 1, len(page["entries"])
    latencies = [time.perf_counter() - started]
    while page["has_more"]:
        begin = time.perf_counter()
        page = session.post(
            dropbox.url("/2/files/list_folder/continue"),
            json={"cursor": page["cursor"]},
            headers=headers,
            timeout=30,
        ).json()
        latencies.append(time.perf_counter() - begin)
        pages += 1
        entries += len(page["entries"])
    listing = Row(
        "dropbox list_folder (500/page)",
        entries,
        time.perf_counter() - started,
        latencies,
        pages,
        f"{pages} pages",
    )
    downloads = min(files, 300)
    started = time.perf_counter()
    download_latencies = []
    for number in range(downloads):
        begin = time.perf_counter()
        session.post(
            dropbox.url("/2/files/download"),
            headers={**headers, "Dropbox-API-Arg": download_arg(number)},
            timeout=30,
        ).raise_for_status()
        download_latencies.append(time.perf_counter() - begin)
    download = Row(
        "dropbox download",
        downloads,
        time.perf_counter() - started,
        download_latencies,
        downloads,
        f"{len(PDF) // 1024} kB each",
    )
    return [listing, download]


def download_arg(number: int) -> str:
    return f'{{"path": "/Invoices/{number // 500:02d}/inv-{number}.pdf"}}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--files", type=int, default=2000)
    options = parser.parse_args()
    rows: list[Row] = []
    with start_sandbox() as sandbox:
        for clients in (1, 2, 4):
            rows.append(
                post_invoices(sandbox, invoices=options.invoices, clients=clients, faulty=False)
            )
        rows.append(post_invoices(sandbox, invoices=options.invoices, clients=2, faulty=True))
        rows += dropbox_rows(sandbox, files=options.files)
    header = ["scenario", "items", "seconds", "items/s", "p50 ms", "p99 ms", "requests", "check"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    for index, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
