"""One ``qcluster`` of the soak, with the pipeline's leases shortened to ``SOAK_LEASE_SECONDS``.

A SIGKILLed worker's claims (a document being read, a folder poll, a posting window) are given
back when their lease runs out: 5 to 30 minutes in production. The soak would spend most of its
time waiting for them, so its workers use a short lease; nothing else differs from
``manage.py qcluster``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from reconciliation import dispatch
    from reconciliation import parsing
    from reconciliation import window
    from reconciliation.intake import folder_polls
    from reconciliation.intake import transaction_mirror

    lease = timedelta(seconds=int(os.environ.get("SOAK_LEASE_SECONDS", "30")))
    parsing.PARSE_LEASE = lease
    window.WINDOW_LEASE = lease
    dispatch.WINDOW_LEASE = lease  # type: ignore[attr-defined]
    folder_polls.SYNC_LEASE = lease
    transaction_mirror.SYNC_LEASE = lease
    defaults = folder_polls.expire_stale_runs.__kwdefaults__ or {}
    defaults["older_than"] = lease
    execute_from_command_line([str(ROOT / "manage.py"), "qcluster"])


if __name__ == "__main__":
    main()
