"""OAuth and Vault callbacks of the provider connect flows (filled by the connectors work)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
