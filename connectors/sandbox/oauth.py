"""OAuth 2 bookkeeping shared by the Dropbox and Qonto emulators: authorization codes bound to
their client, redirect URI and PKCE challenge; grants; access and refresh tokens that expire on
the virtual clock; refresh-token rotation with a grace window (Qonto) or without (Dropbox)."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import unquote_plus

from connectors.sandbox.clock import Clock
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import fingerprint

_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class TokenStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str | None
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    offline: bool
    used: bool = False


@dataclass
class Grant:
    id: str
    client_id: str
    scopes: tuple[str, ...]
    created_at: float
    # A PKCE grant without client secret: its refreshes need no secret either.
    public_client: bool
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant_id: str
    scopes: tuple[str, ...]
    expires_at: float | None


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    expires_at: float | None
    first_used_at: float | None = None
    revoked: bool = False


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    token: AccessToken | None = None
    grant: Grant | None = None


def random_token(prefix: str, nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge for ``verifier`` (base64url of SHA-256, no padding)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if not _PKCE_VERIFIER.match(verifier):
        return False
    expected = pkce_challenge(verifier) if method == "S256" else verifier
    return hmac.compare_digest(expected, challenge)


def client_credentials(request: Request) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from HTTP Basic auth or, failing that, the form body."""
    header = request.header("Authorization") or ""
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, client_secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(client_secret)
    return request.form_value("client_id"), request.form_value("client_secret")


@dataclass(frozen=True, kw_only=True)
class TokenPolicy:
    """How one provider issues codes and tokens: lifetimes in seconds (``refresh_ttl`` None:
    refresh tokens never expire), token prefixes, and whether a refresh rotates the refresh
    token, the old one still working ``rotation_grace_seconds`` after its first use."""

    access_ttl: float
    refresh_ttl: float | None = None
    code_ttl: float = 600  # ten minutes, RFC 6749's recommended maximum
    access_prefix: str = ""
    refresh_prefix: str = ""
    code_prefix: str = ""
    rotate_refresh_tokens: bool = False
    rotation_grace_seconds: float = 0.0


@dataclass(eq=False, repr=False)
class TokenStore:
    """Codes, grants and tokens of one provider, issued by its ``policy``. Not thread-safe on its
    own: emulators call it under their lock."""

    clock: Clock
    policy: TokenPolicy
    codes: dict[str, AuthorizationCode] = field(default_factory=dict, init=False)
    grants: dict[str, Grant] = field(default_factory=dict, init=False)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict, init=False)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict, init=False)
    refresh_count: int = field(default=0, init=False)

    # --- codes -----------------------------------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str | None,
        scopes: tuple[str, ...],
        code_challenge: str | None,
        code_challenge_method: str | None,
        offline: bool,
    ) -> AuthorizationCode:
        code = AuthorizationCode(
            code=random_token(self.policy.code_prefix),
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=self.clock.timestamp() + self.policy.code_ttl,
            offline=offline,
        )
        self.codes[code.code] = code
        return code

    def redeem_code(
        self,
        code: str | None,
        *,
        client_id: str | None,
        client_secret_ok: bool,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> tuple[AuthorizationCode, Grant]:
        """Check a code against what it was bound to and turn it into a grant. The caller has
        checked the client secret (``client_secret_ok``) if one was sent."""
        record = self.codes.get(code or "")
        if record is None or record.used or self.clock.timestamp() >= record.expires_at:
            raise OAuthError("invalid_grant", "code doesn't exist or has expired")
        if client_id != record.client_id:
            raise OAuthError("invalid_grant", "code was issued to another client")
        if record.redirect_uri is not None and redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri mismatch")
        public_client = False
        if record.code_challenge is not None:
            if not code_verifier:
                raise OAuthError("invalid_request", "code_verifier is required for this code")
            if not pkce_matches(
                code_verifier, record.code_challenge, record.code_challenge_method or "plain"
            ):
                raise OAuthError("invalid_grant", "invalid code verifier")
            public_client = not client_secret_ok
        elif not client_secret_ok:
            raise OAuthError("invalid_client", "client_secret is required", status=400)
        record.used = True
        grant = Grant(
            id=random_token("grant-", 8),
            client_id=record.client_id,
            scopes=record.scopes,
            created_at=self.clock.timestamp(),
            public_client=public_client,
        )
        self.grants[grant.id] = grant
        return record, grant

    # --- tokens ----------------------------------------------------------------------------------

    def create_grant(
        self, *, client_id: str, scopes: tuple[str, ...], public_client: bool = False
    ) -> Grant:
        grant = Grant(
            id=random_token("grant-", 8),
            client_id=client_id,
            scopes=scopes,
            created_at=self.clock.timestamp(),
            public_client=public_client,
        )
        self.grants[grant.id] = grant
        return grant

    def issue_access(self, grant: Grant, scopes: tuple[str, ...] | None = None) -> AccessToken:
        token = AccessToken(
            token=random_token(self.policy.access_prefix),
            grant_id=grant.id,
            scopes=scopes if scopes is not None else grant.scopes,
            expires_at=self.clock.timestamp() + self.policy.access_ttl,
        )
        self.access_tokens[token.token] = token
        return token

    def issue_refresh(self, grant: Grant) -> RefreshToken:
        ttl = self.policy.refresh_ttl
        token = RefreshToken(
            token=random_token(self.policy.refresh_prefix),
            grant_id=grant.id,
            expires_at=self.clock.timestamp() + ttl if ttl is not None else None,
        )
        self.refresh_tokens[token.token] = token
        return token

    def check_access(self, token: str | None) -> TokenCheck:
        record = self.access_tokens.get(token or "")
        if record is None:
            return TokenCheck(TokenStatus.INVALID)
        grant = self.grants.get(record.grant_id)
        if grant is None or grant.revoked:
            return TokenCheck(TokenStatus.INVALID)
        if record.expires_at is not None and self.clock.timestamp() >= record.expires_at:
            return TokenCheck(TokenStatus.EXPIRED, record, grant)
        return TokenCheck(TokenStatus.VALID, record, grant)

    def refresh(
        self, token: str | None, *, client_id: str | None
    ) -> tuple[Grant, AccessToken, RefreshToken | None]:
        """A new access token (and, when rotating, a new refresh token). A rotated-out refresh
        token keeps working for the policy's ``rotation_grace_seconds`` after its first use,
        then fails with ``invalid_grant``."""
        record = self.refresh_tokens.get(token or "")
        now = self.clock.timestamp()
        if record is None or record.revoked:
            raise OAuthError("invalid_grant", "refresh token is invalid or revoked")
        grant = self.grants.get(record.grant_id)
        if grant is None or grant.revoked:
            raise OAuthError("invalid_grant", "refresh token is invalid or revoked")
        if client_id != grant.client_id:
            raise OAuthError("invalid_grant", "refresh token was issued to another client")
        if record.expires_at is not None and now >= record.expires_at:
            raise OAuthError("invalid_grant", "refresh token has expired")
        new_refresh: RefreshToken | None = None
        if self.policy.rotate_refresh_tokens:
            if record.first_used_at is None:
                record.first_used_at = now
            elif now > record.first_used_at + self.policy.rotation_grace_seconds:
                raise OAuthError("invalid_grant", "refresh token has already been used")
            new_refresh = self.issue_refresh(grant)
        self.refresh_count += 1
        return grant, self.issue_access(grant), new_refresh

    def revoke_grant(self, grant_id: str) -> None:
        grant = self.grants.get(grant_id)
        if grant is not None:
            grant.revoked = True

    def revoke_token(self, token: str | None) -> bool:
        """Revoke the grant behind an access or refresh token (and so all its tokens)."""
        record = self.access_tokens.get(token or "") or self.refresh_tokens.get(token or "")
        if record is None:
            return False
        self.revoke_grant(record.grant_id)
        return True

    def revoke_all(self) -> None:
        for grant in self.grants.values():
            grant.revoked = True

    def snapshot(self) -> dict[str, object]:
        """Counts and fingerprints only: state dumps never contain a usable token."""
        now = self.clock.timestamp()
        return {
            "grants": [
                {
                    "id": grant.id,
                    "client_id": grant.client_id,
                    "scopes": list(grant.scopes),
                    "revoked": grant.revoked,
                }
                for grant in self.grants.values()
            ],
            "access_tokens": [
                {
                    "fingerprint": fingerprint(token.token),
                    "grant_id": token.grant_id,
                    "expired": token.expires_at is not None and now >= token.expires_at,
                }
                for token in self.access_tokens.values()
            ],
            "refresh_tokens": [
                {
                    "fingerprint": fingerprint(token.token),
                    "grant_id": token.grant_id,
                    "used": token.first_used_at is not None,
                }
                for token in self.refresh_tokens.values()
            ],
            "refresh_count": self.refresh_count,
        }
