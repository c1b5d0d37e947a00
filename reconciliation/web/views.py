"""The few pages outside the admin: access explanations and a health check."""

from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
def no_access(request: HttpRequest) -> HttpResponse:
    return render(request, "well/no_access.html", admin.site.each_context(request), status=403)


@never_cache
def mfa_required(request: HttpRequest) -> HttpResponse:
    return render(request, "well/mfa_required.html", admin.site.each_context(request))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
