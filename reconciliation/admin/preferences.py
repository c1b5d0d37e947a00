"""A person's own preferences: the daily digest, per workspace they administer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from reconciliation.models import Membership
from reconciliation.models import Role


def digest_preferences_view(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    """GET lists the workspaces the user administers with their digest setting; POST saves
    the ticked ones (only the user's own memberships are ever touched)."""
    user_id = int(request.user.pk or 0)  # admin_view lets only signed-in staff in
    memberships = list(
        Membership.objects.filter(user_id=user_id, role=Role.ADMIN)
        .select_related("workspace")
        .order_by("workspace__name")
    )
    if request.method == "POST":
        wanted = set(request.POST.getlist("digest"))
        for membership in memberships:
            value = str(membership.pk) in wanted
            if membership.wants_digest != value:
                membership.wants_digest = value
                membership.save(update_fields=["wants_digest"])
        messages.success(request, "Digest preferences saved.")
        return HttpResponseRedirect(reverse("admin:reconciliation-digest-preferences"))
    return TemplateResponse(
        request,
        "admin/reconciliation/digest_preferences.html",
        {**context, "title": "Daily digest", "memberships": memberships},
    )
