"""Generalisation benchmark: invoices on layouts the demo never uses, scored by bench/parse.py.

    .venv/bin/python bench/unseen.py [N] [--seed S] [--errors]

Writes N generated invoices (default 120; see connectors/sandbox/documents/unseen_set.py) with
a truth JSON beside each to bench/out/unseen/<layout>/, runs bench/parse.py on that folder (its
per-source table is then per layout), and adds what a reviewer would see at once: supplier
names that are a label or the buyer's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.sandbox.documents.unseen_set import generate_unseen_invoices  # noqa: E402
from reconciliation.extraction.labels import looks_like_label  # noqa: E402

OUT = ROOT / "bench" / "out"
FOLDER = OUT / "unseen"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=120)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--errors", action="store_true", help="list every wrong field")
    arguments = parser.parse_args()
    shutil.rmtree(FOLDER, ignore_errors=True)
    buyers: dict[str, str] = {}
    for document in generate_unseen_invoices(arguments.n, seed=arguments.seed):
        key = f"{document.layout}/{document.filename}"
        (FOLDER / document.layout).mkdir(parents=True, exist_ok=True)
        (FOLDER / key).write_bytes(document.content)
        truth = {"file": key, "source": document.layout, "fields": document.truth}
        (FOLDER / key).with_suffix(".json").write_text(json.dumps(truth), encoding="utf-8")
        buyers[key] = document.extra.get("buyer_name", "")
    command = [sys.executable, str(ROOT / "bench" / "parse.py"), str(FOLDER)]
    if arguments.errors:
        command.append("--errors")
    result = subprocess.run(command, check=False, timeout=3600)
    _print_name_mistakes(buyers)
    return result.returncode


def _print_name_mistakes(buyers: dict[str, str]) -> None:
    predictions = OUT / "parse-text.jsonl"
    labels, buyer_names = [], []
    for line in predictions.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        name = record.get("supplier_name")
        if not name:
            continue
        if looks_like_label(name):
            labels.append(f"{record['file']}: {name!r}")
        if name == buyers.get(record["file"]):
            buyer_names.append(f"{record['file']}: {name!r}")
    print("\nSupplier names, XML off, that a reviewer rejects at a glance")
    print(f"  a label, a heading or an instruction: {len(labels)}")
    for item in labels:
        print(f"    {item}")
    print(f"  the buyer's name: {len(buyer_names)}")
    for item in buyer_names:
        print(f"    {item}")


if __name__ == "__main__":
    raise SystemExit(main())
