"""Probes for load balancers and orchestrators, and the Prometheus scrape.

``/healthz`` (liveness) answers from the process alone: a process that can run a view is alive,
and restarting it because the database is down would not help. ``/readyz`` (readiness) checks
what a request or a task needs — the database, the broker, the scheduler's last run, storage —
and answers 503 naming the failed check, so a machine that cannot work is taken out of the pool.
Neither needs a login; neither touches a workspace's data. ``/metrics`` answers only with the
bearer token of ``WELL_METRICS_TOKEN`` (404 when none is set).
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reconciliation.files.regions import backend
from reconciliation.files.regions import regions
from reconciliation.files.regions import storage_url
from reconciliation.schedules import PREFIX

logger = logging.getLogger(__name__)

#: The scheduler is late when the dispatch schedule's next run is this far in the past.
SCHEDULER_GRACE = timedelta(minutes=3)
DISPATCH_SCHEDULE = f"{PREFIX}dispatch"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            problem = check()
        except Exception as error:  # a probe reports every failure, whatever raised it
            problem = f"{type(error).__name__}: {error}"[:200]
        checks[name] = problem or "ok"
        if problem:
            logger.warning(
                "readiness: %s failed in %.0f ms: %s",
                name,
                (time.perf_counter() - started) * 1000,
                problem,
            )
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return ""


def check_broker() -> str:
    from django_q.brokers import get_broker

    return "" if get_broker().ping() else "the broker did not answer the ping"


def check_scheduler() -> str:
    """The dispatch schedule's next run moves forward each minute the cluster's scheduler runs;
    left in the past, nothing polls, posts or matches."""
    from django_q.models import Schedule

    next_run = (
        Schedule.objects.filter(name=DISPATCH_SCHEDULE).values_list("next_run", flat=True).first()
    )
    if next_run is None:
        return "no dispatch schedule (run manage.py sync_schedules)"
    late = timezone.now() - next_run
    if late > SCHEDULER_GRACE:
        return f"the scheduler's last run is {int(late.total_seconds() // 60)} minutes late"
    return ""


#: A storage that took a write is trusted this long: probes come every few seconds from each
#: load balancer, and a bucket should not get a PUT and a DELETE for each of them.
STORAGE_PROBE_SECONDS = 60.0
_storage_proven_at: dict[str, float] = {}


def check_storage() -> str:
    """Documents are written on every poll: prove each data region's storage takes a write and
    a delete (the probe holds no workspace data, so it goes to the region's storage directly),
    at most once a minute per storage."""
    for region in regions():
        url = storage_url(region)
        if time.time() - _storage_proven_at.get(url, float("-inf")) < STORAGE_PROBE_SECONDS:
            continue
        storage = backend(region)
        name = storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        storage.delete(name)
        _storage_proven_at[url] = time.time()
    return ""


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "scheduler": check_scheduler,
    "storage": check_storage,
}


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token: str = getattr(settings, "WELL_METRICS_TOKEN", "")
    if not token:
        raise Http404("metrics are not enabled")
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
    from reconciliation.observability.metrics import exposition

    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
