"""OAuth and Vault connect flows: start (POST from the admin) and the provider callbacks."""

from __future__ import annotations

from django.urls import path

from reconciliation.connections import views

urlpatterns = [
    path(
        "<int:workspace_id>/<str:provider>/start/",
        views.start,
        name="well-connect-start",
    ),
    path("callback/<str:provider>/", views.callback, name="well-connect-callback"),
]
