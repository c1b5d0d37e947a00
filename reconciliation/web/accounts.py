from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Members are added by an administrator; there is no public sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
