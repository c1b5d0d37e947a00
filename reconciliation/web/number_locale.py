"""Amounts are shown with the reader's separators: the browser's language picks them (only
the number format; the interface stays in its own language)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http import HttpResponse
from django.utils.translation import get_language_from_request

from reconciliation.money import number_locale


class NumberLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = number_locale.set(get_language_from_request(request))
        try:
            return self.get_response(request)
        finally:
            number_locale.reset(token)
