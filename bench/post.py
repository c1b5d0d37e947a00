"""Reliability harness for posting to Qonto: nothing lost, nothing posted twice.

    make bench-post
    .venv/bin/python bench/post.py [--invoices 1000] [--seed 7] [--no-processes]

Against the Qonto emulator (in this process, on 127.0.0.1) and PostgreSQL (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/well_bench_post``, dropped and re-created):

1. **faults on**: approved invoices, random faults on the bulk upload (500, 503, 429 with
   Retry-After, slow answers, a timeout after Qonto processed the request, connections dropped
   before and after processing), on the look-ups (503, 429, drops), per-item
   ``internal_server_error``, three per-item ``invalid`` refusals (one that lands in a request
   whose answer is then lost is never seen: the re-send goes through), and one 401 mid-run. Two
   worker threads (each with its own database connection) post at once; unless
   ``--no-processes``, a real ``manage.py qcluster`` with two q2 workers posts the same
   workspace beside them (windows queued as tasks), and one of its workers is SIGKILLed at
   random moments, preferably mid-call (q2 starts a new one). Each thread loop turn is one
   window: the sweeper, then ``post_approved``. Invoices left ``failed`` wait for the next
   window; the harness stands in for the schedule by making them due again instead of waiting
   a minute.
2. **faults off**: the same number of invoices, two threads, time to drain.

3. **keys expire between windows**: Qonto replays a key's success for 30 minutes only and never
   an error, so the emulator's clock moves on 31 minutes after every window while answers are
   lost after processing and items fail with ``internal_server_error``; a blind re-send would be
   a second supplier invoice in the emulator's own count.
4. **read-back**: Qonto reads each PDF itself; some are misread on purpose; a later window
   compares Qonto's reading with the reviewed values.
5. **probe**: invoices that reached Qonto by e-mail are planted before posting; exact copies
   must be linked (not uploaded), near ones sent to review.

Then Qonto's state (the emulator's supplier invoices, by idempotency key and by file hash) is
compared with Well's: lost = an invoice neither posted (exactly once, with the Qonto id Well
holds, or linked to the planted entry it copies) nor in a visible state with a reason;
duplicates = supplier invoices beyond one per key or per file. The scenes, scenarios and
comparison live in ``tests/posting_fixtures.py``, ``tests/posting_harness.py`` and
``tests/posting_scenarios.py`` (bench imports them; ``tests/test_posting_harness.py`` runs them
small).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tests.posting_harness import HarnessResult
    from tests.posting_scenarios import ExpiryResult
    from tests.posting_scenarios import ProbeResult
    from tests.posting_scenarios import ReadbackResult

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/well_bench_post"
# Django settings are read from the environment at set-up: these are the harness's (the same
# values tests/posting_harness.py gives the tests).
LEASE_SECONDS = 12
READ_TIMEOUT_SECONDS = 1.5


def _environment(database_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "well.settings",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": media_root,
            "WELL_DEMO": "1",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-secret-key-not-used-anywhere-else-000000"),
            "WELL_MASTER_KEY": env.get(
                "WELL_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="
            ),
            "WELL_POST_LEASE_SECONDS": str(LEASE_SECONDS),
            "HTTP_READ_TIMEOUT": str(READ_TIMEOUT_SECONDS),
            "HTTP_CONNECT_TIMEOUT": "2",
            "LOG_LEVEL": env.get("LOG_LEVEL", "ERROR"),
            "EMAIL_URL": "consolemail://",
        }
    )
    return env


def _recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _table(label: str, rows: list[tuple[str, Any]], problems: tuple[str, ...] = ()) -> None:
    print(f"\n{label}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for problem in problems:
        print(f"  ! {problem}")


def _print_result(result: HarnessResult, invoices: int) -> None:
    c = result.comparison
    s = result.stats
    rows = [
        ("invoices", invoices),
        ("posted", c.by_status.get("posted", 0)),
        ("rejected (visible, with reason)", c.by_status.get("rejected", 0)),
        ("failed (visible, retried next window)", c.by_status.get("failed", 0)),
        ("supplier invoices on Qonto", c.qonto_invoices),
        ("LOST", c.lost),
        ("DUPLICATES", c.duplicates),
        ("wrong links (Well≠Qonto)", c.wrong_links),
        ("blind re-sends (duplicates without the key)", result.blind_resends),
        ("orphans on Qonto", c.orphans),
        ("bulk requests (faulted)", f"{result.bulk_requests} ({result.injected_faults})"),
        (
            "look-ups / invoices found by them",
            f"{result.lookup_requests} / {result.resolved_by_lookup}",
        ),
        ("listings for the mirror of Qonto's invoices", result.mirror_requests),
        (
            "faults on uploads",
            ", ".join(f"{k}: {v}" for k, v in sorted(result.faults_by_kind.items())) or "—",
        ),
        ("attempts closed by the sweeper", result.swept_attempts),
        ("q2 worker SIGKILLs", result.kills),
        ("attempts by q2 workers", result.process_attempts),
        ("failed made due again (next window)", s.made_due_again),
        ("windows run by the threads", s.windows),
        ("time to drain", f"{result.drain_seconds:.1f} s"),
    ]
    _table(result.label, rows, c.problems)


def _print_expiry(result: ExpiryResult, invoices: int) -> None:
    c = result.comparison
    rows = [
        ("invoices", invoices),
        ("posted", c.by_status.get("posted", 0)),
        ("supplier invoices on Qonto", c.qonto_invoices),
        ("LOST", c.lost),
        ("DUPLICATES (keys expired: each would be real)", c.duplicates),
        ("wrong links (Well≠Qonto)", c.wrong_links),
        ("re-sends after Qonto had created the invoice", result.blind_resends),
        ("windows (clock +31 min after each)", result.windows),
        ("virtual minutes passed", result.minutes_advanced),
        ("bulk requests (faulted)", f"{result.bulk_requests} ({result.injected_faults})"),
        ("look-ups / invoices found by them", f"{result.lookups} / {result.resolved_by_lookup}"),
    ]
    _table("keys expiring between windows", rows, c.problems)


def _print_readback(result: ReadbackResult) -> None:
    print(
        f"\nread-back: compared {result.compared}, differences found {result.found} of "
        f"{result.planted} planted ({result.false_alarms} false alarms, "
        f"{result.not_compared} posted but not yet read by Qonto)"
    )


def _print_probe(result: ProbeResult) -> None:
    print(
        f"linked to existing Qonto entries: {result.linked_right} of {result.planted} planted, "
        f"{result.wrong_links} wrong links; near copies sent to review: "
        f"{result.sent_to_review} of {result.near_planted}; second entries in Qonto: "
        f"{result.second_entries}; lost {result.comparison.lost}, duplicates "
        f"{result.comparison.duplicates}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--probability", type=float, default=0.15, help="fault rate per call")
    parser.add_argument(
        "--no-processes", action="store_true", help="threads only: no q2 cluster, no SIGKILL"
    )
    return parser.parse_args()


def _point_django_at(emulator: Any, env: dict[str, str]) -> None:
    from django.conf import settings

    from connectors.sandbox.constants import QONTO_CLIENT_ID
    from connectors.sandbox.constants import QONTO_CLIENT_SECRET

    qonto_settings = {
        "QONTO_API_URL": emulator.base_url,
        "QONTO_OAUTH_URL": emulator.base_url,
        "QONTO_CLIENT_ID": QONTO_CLIENT_ID,
        "QONTO_CLIENT_SECRET": QONTO_CLIENT_SECRET,
    }
    for name, value in qonto_settings.items():
        setattr(settings, name, value)
    env.update(qonto_settings)


def _workspace(emulator: Any, name: str, slug: str) -> Any:
    from reconciliation.models import Workspace
    from tests.posting_fixtures import connect_qonto

    emulator.reset()
    workspace = Workspace.objects.create(name=name, slug=slug)
    connect_qonto(workspace, emulator)
    return workspace


def _reliability(emulator: Any, arguments: argparse.Namespace, env: dict[str, str]) -> list[Any]:
    from tests.posting_harness import run_harness

    faulty = _workspace(emulator, "Faults on", "bench-faults-on")
    on = run_harness(
        label="faults on",
        workspace=faulty,
        emulator=emulator,
        invoices=arguments.invoices,
        faults=True,
        seed=arguments.seed,
        probability=arguments.probability,
        process_env=None if arguments.no_processes else env,
    )
    clean = _workspace(emulator, "Faults off", "bench-faults-off")
    off = run_harness(
        label="faults off",
        workspace=clean,
        emulator=emulator,
        invoices=arguments.invoices,
        faults=False,
    )
    return [on, off]


def _as_qonto_behaves(emulator: Any, invoices: int, seed: int) -> tuple[Any, Any, Any]:
    from tests.posting_scenarios import run_expiring_keys
    from tests.posting_scenarios import run_probe
    from tests.posting_scenarios import run_readback

    expiring = run_expiring_keys(
        _workspace(emulator, "Keys expire", "bench-keys-expire"), emulator, invoices=invoices
    )
    readback = run_readback(
        _workspace(emulator, "Read-back", "bench-read-back"),
        emulator,
        invoices=invoices,
        misreads=max(8, invoices // 10),
        seed=seed,
    )
    emulator.invoice_analyzer = None
    probe = run_probe(
        _workspace(emulator, "Probe", "bench-probe"),
        emulator,
        invoices=invoices,
        copies=max(10, invoices // 10),
        near=max(5, invoices // 20),
    )
    return expiring, readback, probe


def main() -> int:
    arguments = _arguments()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = _environment(database_url, tempfile.mkdtemp(prefix="well-bench-post-"))
    _recreate_database(database_url)
    _setup_django(env)
    from django.core.management import call_command

    from connectors.sandbox import QontoEmulator

    call_command("migrate", verbosity=0)
    small = max(50, arguments.invoices // 5)
    with QontoEmulator() as emulator:
        _point_django_at(emulator, env)
        print(
            f"Posting harness: {arguments.invoices} invoices per scenario ({small} for the last "
            f"three), PostgreSQL {database_url.rsplit('@', 1)[-1]}, lease {LEASE_SECONDS} s, "
            f"read timeout {READ_TIMEOUT_SECONDS} s, fault rate {arguments.probability:.0%} "
            "per call"
        )
        results = _reliability(emulator, arguments, env)
        expiring, readback, probe = _as_qonto_behaves(emulator, small, arguments.seed)
    for result in results:
        _print_result(result, arguments.invoices)
    _print_expiry(expiring, small)
    _print_readback(readback)
    _print_probe(probe)
    return _verdict(results, expiring, readback, probe)


def _verdict(results: list[Any], expiring: Any, readback: Any, probe: Any) -> int:
    comparisons = [r.comparison for r in results] + [expiring.comparison, probe.comparison]
    bad = any(c.lost or c.duplicates or c.wrong_links for c in comparisons) or any(
        r.blind_resends for r in results
    )
    qonto = (
        readback.found == readback.planted
        and readback.false_alarms == 0
        and probe.linked_right == probe.planted
        and probe.wrong_links == 0
        and probe.second_entries == 0
    )
    target = results[-1].drain_seconds < 120
    print(
        f"\n0 lost, 0 duplicates: {'yes' if not bad else 'NO'}; "
        f"read-back and probe as planted: {'yes' if qonto else 'NO'}; "
        f"drain < 2 min with faults off: {'yes' if target else 'NO'} "
        f"({results[-1].drain_seconds:.1f} s)"
    )
    return 1 if bad or not qonto else 0


if __name__ == "__main__":
    sys.exit(main())
