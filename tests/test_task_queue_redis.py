"""The task queue for real: a `qcluster` process on the Redis broker runs what Well queues.

The rest of the suite runs django-q2 synchronously; this test checks the production wiring
(REDIS_URL selects the broker, tasks are queued after commit and found by a separate worker
process that reads the same database and files).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import Workspace
from tests.factories import make_document

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
INVOICE_PDF = BASE_DIR / "tests/fixtures/corpus/XML-Rechnung__FX__EN16931_OEPNV.pdf"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def _environment(cluster: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "Q_", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "well.settings",
            "WELL_DEMO": "1",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": REDIS_URL,
            "Q_CLUSTER_NAME": cluster,
            "Q_WORKERS": "1",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "WELL_MASTER_KEY": str(settings.WELL_MASTER_KEY),
        }
    )
    return env


def test_a_worker_on_the_redis_broker_reads_a_queued_document(workspace: Workspace) -> None:
    redis.Redis.from_url(REDIS_URL).ping()
    document = make_document(workspace, status=DocumentStatus.NEW, kind=DocumentKind.UNKNOWN)
    document.file.save("invoice.pdf", ContentFile(INVOICE_PDF.read_bytes()), save=True)
    cluster = f"well-test-{uuid.uuid4().hex[:8]}"
    env = _environment(cluster)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # Queued exactly as the app does it: inside a transaction, sent when it commits.
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django.db import transaction\n"
                "from reconciliation.queue import enqueue\n"
                "with transaction.atomic():\n"
                f"    enqueue('reconciliation.tasks.parse_document', {document.pk})\n",
            ],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            document.refresh_from_db()
            if document.status not in (DocumentStatus.NEW, DocumentStatus.PARSING):
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGINT)  # what Ctrl-C does: the cluster stops its workers
        try:
            _, errors = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            _, errors = worker.communicate()
        redis.Redis.from_url(REDIS_URL).delete(f"django_q:{cluster}:q")
    assert document.status == DocumentStatus.PARSED, errors.decode()[-3000:]
    assert document.kind == DocumentKind.INVOICE
    invoice = Invoice.objects.get(document=document)
    truth = json.loads(INVOICE_PDF.with_suffix(".json").read_text())["fields"]
    assert invoice.number == truth["invoice_number"]
    assert Document.objects.get(pk=document.pk).parse_attempts == 1
