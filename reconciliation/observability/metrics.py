"""Prometheus metrics of the pipeline (prometheus-client).

Counters and histograms live in each process; with ``PROMETHEUS_MULTIPROC_DIR`` set (the
production profile: one directory per machine, emptied at boot) gunicorn workers and q2 workers
write them to shared files and ``/metrics`` on that machine adds them up. Queue depths are read
from the database and the broker when scraped, so they are right whichever process answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from connectors import http

logger = logging.getLogger(__name__)

# Pipeline work takes from milliseconds (a routing) to minutes (a first sync of a big folder).
_TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

TASK_SECONDS = Histogram(
    "well_task_seconds", "Time a queued task ran, by task.", ["task"], buckets=_TASK_BUCKETS
)
TASK_FAILURES = Counter(
    "well_task_failures", "Queued tasks that raised (q2 retries them), by task.", ["task"]
)
POSTS = Counter(
    "well_posts", "Invoices a posting window finished, by outcome (posted | failed).", ["outcome"]
)
ATTACHMENTS = Counter("well_attachments", "Payment confirmations attached to Qonto debits.")
PROVIDER_CALLS = Counter(
    "well_provider_calls",
    "HTTP calls to providers, by provider and status (the HTTP code, or 'error' when no "
    "answer came back).",
    ["provider", "status"],
)
PROVIDER_SECONDS = Histogram(
    "well_provider_call_seconds",
    "Time of HTTP calls to providers, by provider.",
    ["provider"],
    buckets=_CALL_BUCKETS,
)
PARSE_SECONDS = Histogram(
    "well_parse_seconds",
    "Time to read a document, by lane (xml | text | ocr | none | failed).",
    ["lane"],
    buckets=_TASK_BUCKETS,
)


def record_provider_call(provider: str, status: int | None, seconds: float) -> None:
    PROVIDER_CALLS.labels(provider, str(status) if status is not None else "error").inc()
    PROVIDER_SECONDS.labels(provider).observe(seconds)


http.add_call_observer(record_provider_call)


class QueueDepthCollector(Collector):
    """Work waiting, read at scrape time: the broker's queue and the pipeline's backlogs."""

    def collect(self) -> Iterator[Metric]:
        from reconciliation.models import Document
        from reconciliation.models import DocumentStatus
        from reconciliation.models import Invoice
        from reconciliation.models import InvoiceStatus

        depth = GaugeMetricFamily("well_queue_depth", "Work waiting, by queue.", labels=["queue"])
        depth.add_metric(["broker"], _broker_depth())
        documents = _counts_by_status(Document.objects.all())
        depth.add_metric(
            ["documents_to_read"],
            documents.get(DocumentStatus.NEW, 0) + documents.get(DocumentStatus.PARSING, 0),
        )
        invoices = _counts_by_status(Invoice.objects.all())
        depth.add_metric(["invoices_to_review"], invoices.get(InvoiceStatus.NEEDS_REVIEW, 0))
        depth.add_metric(
            ["invoices_to_post"],
            sum(invoices.get(s, 0) for s in (InvoiceStatus.APPROVED, InvoiceStatus.POSTING)),
        )
        depth.add_metric(["invoices_failed"], invoices.get(InvoiceStatus.FAILED, 0))
        yield depth


def _counts_by_status(queryset: object) -> dict[str, int]:
    rows = queryset.order_by().values_list("status").annotate(n=Count("pk"))  # type: ignore[attr-defined]
    return {status: n for status, n in rows}


def _broker_depth() -> float:
    """Tasks in the broker's queue; NaN when the broker does not answer (an alert of its own)."""
    from django_q.brokers import get_broker

    try:
        return float(get_broker().queue_size() or 0)
    except Exception as error:  # any broker failure must not break the scrape
        logger.warning("queue depth: the broker did not answer: %s", error)
        return float("nan")


def exposition() -> tuple[bytes, str]:
    """The text a Prometheus scrape receives, and its content type."""
    queues = CollectorRegistry(auto_describe=False)
    queues.register(QueueDepthCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        body = generate_latest(processes)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    return body + generate_latest(queues), CONTENT_TYPE_LATEST
