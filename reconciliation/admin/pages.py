"""URLs of the admin screens that are not a model's CRUD pages."""

from __future__ import annotations

from functools import partial

from django.contrib.admin import AdminSite
from django.urls import URLPattern, URLResolver, path

from reconciliation.admin import dashboard, review, status


def page_urls(site: AdminSite) -> list[URLResolver | URLPattern]:
    queue = review.queue_admin(site)
    return [
        path(
            "integration-status/",
            site.admin_view(status.integration_status),
            name="reconciliation-integration-status",
        ),
        path(
            "integration-status/retry/<int:invoice_id>/",
            site.admin_view(status.retry_posting),
            name="reconciliation-posting-retry",
        ),
        path(
            "invoices/<int:invoice_id>/qonto/link/<str:qonto_id>/",
            site.admin_view(status.link_to_qonto),
            name="reconciliation-qonto-link",
        ),
        path(
            "invoices/<int:invoice_id>/qonto/post-anyway/",
            site.admin_view(status.post_anyway),
            name="reconciliation-qonto-post-anyway",
        ),
        path(
            "invoices/<int:invoice_id>/qonto/post-revision/",
            site.admin_view(status.post_revision),
            name="reconciliation-qonto-post-revision",
        ),
        # The dashboard is the admin home: it wraps the site's index with the figures.
        path("", site.admin_view(partial(dashboard.index, site=site)), name="index"),
        path(
            "dashboard/progress/",
            site.admin_view(dashboard.progress),
            name="reconciliation-dashboard-progress",
        ),
        path("review/", site.admin_view(queue.changelist_view), name="reconciliation-review"),
        path(
            "review/<int:document_id>/",
            site.admin_view(partial(review.review_document, model_admin=queue)),
            name="reconciliation-review-document",
        ),
        path(
            "review/<int:document_id>/page/<int:page>.png",
            site.admin_view(review.page_image, cacheable=True),
            name="reconciliation-review-page",
        ),
        path(
            "review/<int:document_id>/file/",
            site.admin_view(review.document_file),
            name="reconciliation-review-file",
        ),
    ]
