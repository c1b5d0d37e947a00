"""The admin home: one dashboard per workspace the user belongs to.

Every figure is an aggregate grouped by workspace, so the page costs the same handful of
queries for one workspace or twenty, ten documents or a million. Charts are SVG drawn here on
the server: no charting library, nothing loaded from elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.admin import AdminSite
from django.db.models import Count
from django.db.models import Min
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from reconciliation.admin.money_gone import list_url
from reconciliation.admin.money_gone import matches_url
from reconciliation.admin.queue_filters import code_condition
from reconciliation.admin.queue_filters import queue_query
from reconciliation.admin.reason_codes import FILTER_CODES
from reconciliation.matching.waiting import waiting_for_debit
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.review import queue_documents
from reconciliation.text.percents import percent
from reconciliation.web.access import visible_workspaces

VOLUME_DAYS = 28
HISTOGRAM_DAYS = 30
FAILURE_DAYS = 30
#: Invoices routed to approved without a person, once out of the "new" state.
AUTO_STATUSES = (
    InvoiceStatus.APPROVED,
    InvoiceStatus.POSTING,
    InvoiceStatus.POSTED,
    InvoiceStatus.FAILED,
    InvoiceStatus.REJECTED,
)
#: Backlog ages: (label, lower bound in hours).
AGE_BUCKETS: tuple[tuple[str, int], ...] = (
    ("< 1 day", 0),
    ("1–3 days", 24),
    ("3–7 days", 72),
    ("> 7 days", 168),
)
FAILED_OUTCOMES = (
    PostOutcome.TRANSIENT,
    PostOutcome.AUTH,
    PostOutcome.REJECTED,
    PostOutcome.UNKNOWN,
    PostOutcome.LOCAL,
)
#: What a document's journey is, for "documents by status this week".
PIPELINE_LABELS: dict[str, str] = {
    "reading": "Being read",
    "needs_review": "Needs review",
    "approved": "Approved, waiting",
    "posting": "Posting",
    "posted": "Posted",
    "refused": "Refused",
    "rejected": "Rejected by Qonto",
    "failed_post": "Post failed",
    "payment": "Payment documents",
    "unreadable": "Unreadable",
    "duplicate": "Duplicate",
    "ignored": "Ignored",
}


def ago(moment: datetime, *, now: datetime | None = None) -> str:
    """How long ago `moment` was, in Django's words ("3 hours, 5 minutes ago"), and "just now"
    under a minute, where Django says "0 minutes"."""
    now = now or timezone.now()
    if now - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now)} ago"


@dataclass(frozen=True)
class RunProgress:
    run: SyncRun
    documents_stored: int  # documents this connection stored since the run started

    @property
    def started_ago(self) -> str:
        return ago(self.run.started_at)


@dataclass(frozen=True)
class StuckList:
    """One list that can hold work that will not go on by itself, with its count."""

    key: str
    label: str
    count: int
    url: str


#: Every list that can hold stuck work: (key, label, admin page, its filter query or, on the
#: integration status page (where Retry is), the section's anchor).
STUCK_LISTS: tuple[tuple[str, str, str, str], ...] = (
    ("unreadable", "unreadable documents", "document", "stuck=unreadable"),
    ("failed_posts", "posts failed (retried next window)", "status", "#failed-"),
    ("rejected", "rejected by Qonto", "status", "#rejected-"),
    (
        "waiting_for_debit",
        "payments waiting for their debit",
        "document",
        "stuck=waiting_for_debit",
    ),
    ("nothing_fits", "payments nothing fits (in review)", "document", "stuck=nothing_fits"),
    ("needs_reauth", "connections to re-authorise", "connection", "status__exact=needs_reauth"),
)


@dataclass
class WorkspaceDashboard:
    workspace: Workspace
    review_url: str
    pipeline: list[tuple[str, int]] = field(default_factory=list)
    routed_week: int = 0
    auto_week: int = 0
    backlog: int = 0
    oldest_waiting: timedelta | None = None
    backlog_ages: list[tuple[str, int]] = field(default_factory=list)
    double_charges: int = 0
    #: Open flags about money that already left, each with the match list filtered to them.
    double_payments: int = 0
    double_payments_url: str = ""
    paid_refused: int = 0
    paid_refused_url: str = ""
    histogram: list[tuple[str, int]] = field(default_factory=list)
    volume: list[tuple[date, int]] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    running: list[RunProgress] = field(default_factory=list)
    reading: int = 0  # documents downloaded and waiting to be read
    charts: dict[str, SafeString] = field(default_factory=dict)
    stuck: list[StuckList] = field(default_factory=list)
    #: The review queue by the reason code that sent each document there: (code, count, link
    #: to the queue filtered by it).
    reasons: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def nothing_stuck(self) -> bool:
        return not any(item.count for item in self.stuck)

    @property
    def oldest_label(self) -> str:
        if self.oldest_waiting is None:
            return ""
        hours = int(self.oldest_waiting.total_seconds() // 3600)
        if hours < 1:
            return "less than an hour"
        if hours < 48:
            return f"{hours} hour{'s' if hours != 1 else ''}"
        return f"{hours // 24} days"

    @property
    def connection_lines(self) -> list[tuple[Connection, str]]:
        """Each connection with its last success in words ("just now", "3 hours ago"), or ""."""
        return [(c, ago(c.last_success_at) if c.last_success_at else "") for c in self.connections]

    @property
    def auto_post_rate(self) -> Decimal | None:
        """The share (0–100) of the invoices routed this week that went without review."""
        if not self.routed_week:
            return None
        return Decimal(self.auto_week) * 100 / self.routed_week

    @property
    def auto_post_percent(self) -> str:
        """`auto_post_rate` as Well writes a percentage everywhere ("40 %", "66.67 %"), "—"
        before any invoice was routed this week."""
        return percent(self.auto_post_rate)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the current week, in the site's time zone."""
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def build_dashboards(request: HttpRequest) -> list[WorkspaceDashboard]:
    workspaces = visible_workspaces(request)
    if not workspaces:
        return []
    ids = [w.pk for w in workspaces]
    now = timezone.now()
    several = len(workspaces) > 1
    review = reverse("admin:reconciliation-review")
    boards = {
        w.pk: WorkspaceDashboard(
            workspace=w, review_url=f"{review}?workspace={w.pk}" if several else review
        )
        for w in workspaces
    }
    _pipeline(boards, ids, week_start(now))
    _invoice_figures(boards, ids, now)
    _volume(boards, ids, now)
    _failures(boards, ids, now)
    _flags(boards, ids, several=several)
    for connection in Connection.objects.filter(workspace_id__in=ids).order_by("provider", "pk"):
        boards[connection.workspace_id].connections.append(connection)
    for progress in running_progress(ids):
        boards[progress.run.workspace_id].running.append(progress)
    for workspace_id, count in reading_backlog(ids).items():
        boards[workspace_id].reading = count
    _stuck(boards, ids, several=several)
    for workspace_id, by_code in queue_by_reason(ids).items():
        board = boards[workspace_id]
        join = "&" if "?" in board.review_url else "?"
        board.reasons = [(c, n, f"{board.review_url}{join}{queue_query(c)}") for c, n in by_code]
    for board in boards.values():
        board.charts = {
            "pipeline": bar_chart(board.pipeline, title="Documents by status this week"),
            "ages": bar_chart(board.backlog_ages, title="Review backlog by age"),
            "histogram": column_chart(
                board.histogram, title="Confidence of invoices (30 days)", counts=True
            ),
            "volume": volume_chart(board.volume),
            "failures": bar_chart(board.failures, title="Post failures by cause (30 days)"),
        }
    return [boards[w.pk] for w in workspaces]


def queue_by_reason(ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Per workspace: the review queue's rows counted by each reason code Well wrote for them,
    largest first, in one query. Each count is the queue's own ``code`` filter
    (`code_condition`), so a link opens as many rows as it says; a row with two reasons counts
    under both."""
    rows: Any = (
        queue_documents(Document.objects.filter(workspace_id__in=ids), workspace_ids=ids)
        .order_by()
        .values("workspace_id")
        .annotate(**{code: Count("pk", filter=code_condition(code)) for code in FILTER_CODES})
    )
    return {
        row["workspace_id"]: sorted(
            ((code, row[code]) for code in FILTER_CODES if row[code]),
            key=lambda item: (-item[1], item[0]),
        )
        for row in rows
    }


#: The open flags the dashboard counts, by kind: the board's field for each.
FLAG_FIGURES: dict[str, str] = {
    MatchKind.DOUBLE_CHARGE: "double_charges",
    MatchKind.DOUBLE_PAYMENT: "double_payments",
    MatchKind.PAID_REFUSED: "paid_refused",
}


def _flags(boards: dict[int, WorkspaceDashboard], ids: list[int], *, several: bool) -> None:
    """Open double charges, possible double payments and refused-but-paid invoices: one
    query. The last two link to the match list filtered to them (they are matches, with no
    document of their own to review)."""
    for row in (
        Match.objects.filter(
            workspace_id__in=ids, kind__in=list(FLAG_FIGURES), status=MatchStatus.PROPOSED
        )
        .values("workspace_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        setattr(boards[row["workspace_id"]], FLAG_FIGURES[row["kind"]], row["n"])
    for workspace_id, board in boards.items():
        scope = workspace_id if several else None
        board.double_payments_url = matches_url(MatchKind.DOUBLE_PAYMENT, scope)
        board.paid_refused_url = matches_url(MatchKind.PAID_REFUSED, scope)


def _pipeline(boards: dict[int, WorkspaceDashboard], ids: list[int], since: datetime) -> None:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Document.objects.filter(workspace_id__in=ids, received_at__gte=since)
        .values("workspace_id", "status", "invoice__status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["workspace_id"]][pipeline_state(row["status"], row["invoice__status"])] += row[
            "n"
        ]
    for workspace_id, board in boards.items():
        found = counts.get(workspace_id, {})
        board.pipeline = [
            (label, found[key]) for key, label in PIPELINE_LABELS.items() if found.get(key)
        ]


def _stuck(boards: dict[int, WorkspaceDashboard], ids: list[int], *, several: bool) -> None:
    """Counts of every stuck list, grouped by workspace: three queries for any number."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    documents = Document.objects.filter(workspace_id__in=ids)
    failed, sent_to_review = Q(status=DocumentStatus.FAILED), ~Q(review_reason="")
    for row in (
        documents.filter(failed | sent_to_review)  # the few such rows, by their indexes
        .values("workspace_id")
        .annotate(
            unreadable=Count("pk", filter=failed),
            nothing_fits=Count("pk", filter=sent_to_review),
        )
        .order_by()
    ):
        counts[row["workspace_id"]].update(
            unreadable=row["unreadable"], nothing_fits=row["nothing_fits"]
        )
    waiting = waiting_for_debit(documents).filter(review_reason="")
    for waiting_row in waiting.values("workspace_id").annotate(n=Count("pk")).order_by():
        counts[waiting_row["workspace_id"]]["waiting_for_debit"] = waiting_row["n"]
    for invoice_row in (
        Invoice.objects.filter(
            workspace_id__in=ids, status__in=(InvoiceStatus.FAILED, InvoiceStatus.REJECTED)
        )
        .values("workspace_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = "failed_posts" if invoice_row["status"] == InvoiceStatus.FAILED else "rejected"
        counts[invoice_row["workspace_id"]][key] = invoice_row["n"]
    for workspace_id, board in boards.items():
        found = counts[workspace_id]
        found["needs_reauth"] = sum(
            1 for c in board.connections if c.status == ConnectionStatus.NEEDS_REAUTH
        )
        board.stuck = [
            StuckList(key, label, found[key], _stuck_url(page, query, workspace_id, several))
            for key, label, page, query in STUCK_LISTS
        ]


def _stuck_url(page: str, query: str, workspace_id: int, several: bool) -> str:
    if page == "status":
        return f"{reverse('admin:reconciliation-integration-status')}{query}{workspace_id}"
    return list_url(page, query, workspace_id if several else None)


def pipeline_state(document_status: str, invoice_status: str | None) -> str:
    if document_status in (DocumentStatus.NEW, DocumentStatus.PARSING):
        return "reading"
    if document_status == DocumentStatus.FAILED:
        return "unreadable"
    if document_status == DocumentStatus.IGNORED:
        return "ignored"
    if invoice_status is None:
        return "duplicate" if document_status == DocumentStatus.DUPLICATE else "payment"
    states: dict[str, str] = {
        InvoiceStatus.NEW: "reading",
        InvoiceStatus.NEEDS_REVIEW: "needs_review",
        InvoiceStatus.APPROVED: "approved",
        InvoiceStatus.POSTING: "posting",
        InvoiceStatus.POSTED: "posted",
        InvoiceStatus.REFUSED: "refused",
        InvoiceStatus.REJECTED: "rejected",
        InvoiceStatus.FAILED: "failed_post",
    }
    return states.get(invoice_status, "reading")


def _invoice_figures(boards: dict[int, WorkspaceDashboard], ids: list[int], now: datetime) -> None:
    """Auto-post rate, backlog and its age, and the confidence histogram: one query."""
    since_week = week_start(now)
    since_histogram = now - timedelta(days=HISTOGRAM_DAYS)
    waiting = Q(status=InvoiceStatus.NEEDS_REVIEW)
    aggregates: dict[str, Any] = {
        "routed": Count("pk", filter=Q(created_at__gte=since_week) & ~Q(status=InvoiceStatus.NEW)),
        "auto": Count(
            "pk",
            filter=Q(created_at__gte=since_week, decided_by__isnull=True, status__in=AUTO_STATUSES),
        ),
        "backlog": Count("pk", filter=waiting),
        "oldest": Min("created_at", filter=waiting),
    }
    edges = [*(hours for _, hours in AGE_BUCKETS[1:]), None]
    for index, (_, low) in enumerate(AGE_BUCKETS):
        condition = waiting & Q(created_at__lte=now - timedelta(hours=low))
        high = edges[index]
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(hours=high))
        aggregates[f"age{index}"] = Count("pk", filter=condition)
    for decile in range(10):
        condition = Q(created_at__gte=since_histogram, confidence__gte=decile * 10)
        if decile < 9:
            condition &= Q(confidence__lt=(decile + 1) * 10)
        aggregates[f"decile{decile}"] = Count("pk", filter=condition)
    # Every figure is about recent invoices or waiting ones: only those rows are read (by the
    # created_at and status indexes), not all of a workspace's invoices.
    recent = Q(created_at__gte=min(since_week, since_histogram))
    rows = (
        Invoice.objects.filter(recent | waiting, workspace_id__in=ids)
        .values("workspace_id")
        .annotate(**aggregates)
        .order_by()
    )
    for values in rows:
        row: dict[str, Any] = dict(values)
        board = boards[row["workspace_id"]]
        board.routed_week = row["routed"]
        board.auto_week = row["auto"]
        board.backlog = row["backlog"]
        board.oldest_waiting = now - row["oldest"] if row["oldest"] else None
        board.backlog_ages = [(label, row[f"age{i}"]) for i, (label, _) in enumerate(AGE_BUCKETS)]
        board.histogram = [(f"{d * 10}–{d * 10 + 10}", row[f"decile{d}"]) for d in range(10)]
    for board in boards.values():
        if not board.histogram:
            board.histogram = [(f"{d * 10}–{d * 10 + 10}", 0) for d in range(10)]
        if not board.backlog_ages:
            board.backlog_ages = [(label, 0) for label, _ in AGE_BUCKETS]


def _volume(boards: dict[int, WorkspaceDashboard], ids: list[int], now: datetime) -> None:
    first = timezone.localdate(now) - timedelta(days=VOLUME_DAYS - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    per_day: dict[int, dict[date, int]] = defaultdict(dict)
    rows = (
        Document.objects.filter(workspace_id__in=ids, received_at__gte=start)
        .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values("workspace_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        per_day[row["workspace_id"]][row["day"]] = row["n"]
    days = [first + timedelta(days=offset) for offset in range(VOLUME_DAYS)]
    for workspace_id, board in boards.items():
        counts = per_day.get(workspace_id, {})
        board.volume = [(day, counts.get(day, 0)) for day in days]


def _failures(boards: dict[int, WorkspaceDashboard], ids: list[int], now: datetime) -> None:
    rows = (
        PostAttempt.objects.filter(
            workspace_id__in=ids,
            started_at__gte=now - timedelta(days=FAILURE_DAYS),
            outcome__in=FAILED_OUTCOMES,
        )
        .values("workspace_id", "outcome", "error_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "outcome", "error_code")
    )
    labels = dict(PostOutcome.choices)
    for row in rows:
        cause = str(labels.get(row["outcome"], row["outcome"]))
        if row["error_code"]:
            cause = f"{cause}: {row['error_code']}"
        boards[row["workspace_id"]].failures.append((cause, row["n"]))


def running_progress(workspace_ids: list[int]) -> list[RunProgress]:
    """Syncs running now, each with the documents its connection stored since it started:
    the count moves while a first sync of a big folder downloads, before the run finishes."""
    runs = list(
        SyncRun.objects.filter(workspace_id__in=workspace_ids, status=SyncStatus.RUNNING)
        .select_related("connection")
        .order_by("started_at", "pk")[:20]
    )
    polls = [r for r in runs if r.kind == SyncKind.FILES and r.connection_id is not None]
    stored: dict[str, Any] = {}
    if polls:
        stored = Document.objects.filter(
            connection_id__in={r.connection_id for r in polls}
        ).aggregate(
            **{
                f"run{r.pk}": Count(
                    "pk", filter=Q(connection_id=r.connection_id, received_at__gte=r.started_at)
                )
                for r in polls
            }
        )
    return [RunProgress(run, int(stored.get(f"run{run.pk}") or 0)) for run in runs]


def reading_backlog(workspace_ids: list[int]) -> dict[int, int]:
    rows = (
        Document.objects.filter(
            workspace_id__in=workspace_ids,
            status__in=(DocumentStatus.NEW, DocumentStatus.PARSING),
        )
        .values("workspace_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["workspace_id"]: row["n"] for row in rows}


# --- SVG -------------------------------------------------------------------------------------

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 150
CHART_WIDTH = 420


#: An empty chart under its box's title (which the chart does not repeat).
EMPTY_CHART = format_html('<p class="well-chart-empty">{}</p>', "Nothing yet.")


def bar_chart(items: list[tuple[str, int]], *, title: str) -> SafeString:
    """Horizontal bars with their labels and counts; an empty chart says so."""
    if not items or not any(count for _, count in items):
        return EMPTY_CHART
    top = max(count for _, count in items) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 50
    height = len(items) * (BAR_HEIGHT + BAR_GAP)
    bars = format_html_join(
        "",
        '<g class="well-bar"><title>{}: {}</title>'
        '<text x="{}" y="{}" text-anchor="end" class="well-chart-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
        '<text x="{}" y="{}" class="well-chart-value">{}</text></g>',
        (
            (
                label,
                count,
                LABEL_WIDTH - 6,
                index * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT - 5,
                label,
                LABEL_WIDTH,
                index * (BAR_HEIGHT + BAR_GAP),
                max(1, round(room * count / top)) if count else 0,
                BAR_HEIGHT,
                LABEL_WIDTH + (round(room * count / top) if count else 0) + 4,
                index * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT - 5,
                count,
            )
            for index, (label, count) in enumerate(items)
        ),
    )
    return format_html(
        '<svg class="well-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        CHART_WIDTH,
        height,
        CHART_WIDTH,
        height,
        bars,
    )


COLUMN_AREA = 120
#: Room above the tallest column for its count.
COUNT_ROOM = 14


def _column_label(label: str, x: float, width: float, *, series: bool) -> SafeString:
    """A column's name under it, from its left edge; a time series' ends at the column's right
    edge, so that the latest column's stays inside the chart."""
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" class="well-chart-label">{}</text>',
        round(x + width, 1) if series else x,
        COLUMN_AREA + 14,
        "end" if series else "start",
        label,
    )


def column_chart(
    items: list[tuple[str, int]],
    *,
    title: str,
    label_every: int = 1,
    counts: bool = False,
    zero_counts: bool = True,
) -> SafeString:
    """Vertical columns (a histogram or a time series) with a baseline and sparse labels: every
    `label_every`-th counting back from the last (a time series names its latest column, under
    its right edge); with `counts`, each column's count above it (not 0 without `zero_counts`)."""
    if not items:
        return EMPTY_CHART
    top = max(count for _, count in items) or 1
    step = CHART_WIDTH / len(items)
    width = max(2.0, step - 3)
    columns = []
    for index, (label, count) in enumerate(items):
        height = round((COLUMN_AREA - COUNT_ROOM) * count / top, 1) if count else 0
        x = round(index * step, 1)
        columns.append(
            format_html(
                '<g class="well-column"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}"></rect>{}{}</g>',
                label,
                count,
                x,
                round(COLUMN_AREA - height, 1),
                round(width, 1),
                height,
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="well-chart-value">{}</text>',
                    round(x + width / 2, 1),
                    round(COLUMN_AREA - height - 3, 1),
                    count,
                )
                if counts and (count or zero_counts)
                else "",
                _column_label(label, x, width, series=label_every > 1)
                if (len(items) - 1 - index) % label_every == 0
                else "",
            )
        )
    body = mark_safe("".join(columns))  # noqa: S308 - each part was escaped by format_html
    return format_html(
        '<svg class="well-chart" role="img" aria-label="{} (highest: {})" viewBox="0 0 {} {}" '
        'width="{}" height="{}" xmlns="http://www.w3.org/2000/svg">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="well-chart-axis"></line>{}</svg>',
        title,
        max(count for _, count in items),
        CHART_WIDTH,
        COLUMN_AREA + 20,
        CHART_WIDTH,
        COLUMN_AREA + 20,
        COLUMN_AREA,
        CHART_WIDTH,
        COLUMN_AREA,
        body,
    )


def volume_chart(volume: list[tuple[date, int]]) -> SafeString:
    """Documents received per day: each day's count above its column, every seventh day named
    under it (today always), and the days with documents as a table for screen readers (to
    them the SVG is one image, named by its title)."""
    if not any(count for _, count in volume):
        return EMPTY_CHART
    title = f"Documents received per day ({len(volume)} days)"
    items = [(f"{day:%d %b}", count) for day, count in volume]
    chart = column_chart(items, title=title, label_every=7, counts=True, zero_counts=False)
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        ((label, count) for label, count in items if count),
    )
    return format_html(
        '{}<table class="visually-hidden"><caption>{}, {} – {}</caption>'
        '<tr><th scope="col">Day</th><th scope="col">Documents</th></tr>{}</table>',
        chart,
        title,
        items[0][0],
        items[-1][0],
        rows,
    )


# --- views -----------------------------------------------------------------------------------


def index(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    """The admin home with the dashboards above the usual list of pages."""
    dashboards = build_dashboards(request)
    context = {
        "dashboards": dashboards,
        # The queue lists the open double payments and refused-but-paid flags above its rows.
        "review_waiting": sum(
            board.backlog + board.double_payments + board.paid_refused for board in dashboards
        ),
    }
    return site.index(request, extra_context=context)


def progress(request: HttpRequest) -> JsonResponse:
    """Syncs running now and documents waiting to be read in the user's workspaces, polled by
    the dashboard to show the progress of long operations."""
    ids = [w.pk for w in visible_workspaces(request)]
    return JsonResponse(
        {
            "runs": [
                {
                    "id": item.run.pk,
                    "workspace": item.run.workspace_id,
                    "kind": item.run.get_kind_display(),
                    "started_at": item.run.started_at.isoformat(),
                    "documents_stored": item.documents_stored,
                    "files_seen": item.run.files_seen,
                    "files_new": item.run.files_new,
                    "files_failed": item.run.files_failed,
                    "items_seen": item.run.items_seen,
                    "items_changed": item.run.items_changed,
                }
                for item in running_progress(ids)
            ],
            "reading": {str(k): v for k, v in reading_backlog(ids).items()},
        }
    )
