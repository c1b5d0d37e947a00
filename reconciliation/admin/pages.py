"""URLs of the admin screens that are not a model's CRUD pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.admin import AdminSite
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import path

from reconciliation.admin import dashboard
from reconciliation.admin import review
from reconciliation.admin import status


def page_urls(site: AdminSite) -> list[URLResolver | URLPattern]:
    queue = review.queue_admin(site)
    pages: list[tuple[str, Callable[..., Any], str]] = [
        ("integration-status/", status.integration_status, "integration-status"),
        ("integration-status/retry/<int:invoice_id>/", status.retry_posting, "posting-retry"),
        (
            "invoices/<int:invoice_id>/qonto/link/<str:qonto_id>/",
            status.link_to_qonto,
            "qonto-link",
        ),
        (
            "invoices/<int:invoice_id>/qonto/post-anyway/",
            status.post_anyway,
            "qonto-post-anyway",
        ),
        (
            "invoices/<int:invoice_id>/qonto/post-revision/",
            status.post_revision,
            "qonto-post-revision",
        ),
        ("dashboard/progress/", dashboard.progress, "dashboard-progress"),
        ("review/", queue.changelist_view, "review"),
        (
            "review/<int:document_id>/",
            partial(review.review_document, model_admin=queue),
            "review-document",
        ),
        ("review/<int:document_id>/file/", review.document_file, "review-file"),
    ]
    return [
        # The dashboard is the admin home: it wraps the site's index with the figures.
        path("", site.admin_view(partial(dashboard.index, site=site)), name="index"),
        path(
            "review/<int:document_id>/page/<int:page>.png",
            site.admin_view(review.page_image, cacheable=True),
            name="reconciliation-review-page",
        ),
        *(
            path(route, site.admin_view(view), name=f"reconciliation-{name}")
            for route, view, name in pages
        ),
    ]
