from __future__ import annotations

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    """HTTP clients for Dropbox, Apideck and Qonto. No models: tokens live on the
    reconciliation ``Connection`` row, encrypted with ``connectors.crypto``."""

    name = "connectors"
    label = "connectors"
    verbose_name = "Connectors"
