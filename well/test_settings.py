"""Settings for the test suite: the real settings, with the environment a test run needs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("WELL_DEMO", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-used-anywhere-else-0123456789")
# A fixed test master key (urlsafe base64 of 32 bytes); production reads its own from the env.
os.environ.setdefault("WELL_MASTER_KEY", "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmchISE=")
os.environ.setdefault("WELL_REQUIRE_MFA", "0")
os.environ.setdefault("EMAIL_URL", "smtp://localhost:25")
os.environ.setdefault("WELL_VAR_DIR", tempfile.mkdtemp(prefix="well-test-"))
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from well.settings import *  # noqa: F403
from well.settings import Q_CLUSTER
from well.settings import STORAGES

STATIC_ROOT = Path(os.environ["WELL_VAR_DIR"]) / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrency tests then see real SQLite locking (WAL,
    # IMMEDIATE transactions), as the single-machine deployment does.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(os.environ["WELL_VAR_DIR"]) / "test.sqlite3")
    }
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
