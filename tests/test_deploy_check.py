from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "well.settings",
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qz!v2Lr9@pX4m$Wn8&Tb6^Yc1*Hd5(Fg3)Js0_Ke7+Lq2=Mx9-Nv4~Pr8",
    "WELL_MASTER_KEY": "cHJvZC1saWtlLW1hc3Rlci1rZXktMzItYnl0ZXMhIQ==",
    "ALLOWED_HOSTS": "well.example.com",
    "DROPBOX_APP_KEY": "app-key",
    "DROPBOX_APP_SECRET": "app-secret",
    "APIDECK_API_KEY": "apideck-key",
    "APIDECK_APP_ID": "apideck-app",
    "QONTO_CLIENT_ID": "qonto-client",
    "QONTO_CLIENT_SECRET": "qonto-secret",
}


def _python(tmp_path: Path, *arguments: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh process with the production environment (none of ours leaks in)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WELL_", "DJANGO_", "SECRET_KEY", "DEBUG", "SECURE_"))
    }
    env.update(PRODUCTION_ENV)
    env["WELL_VAR_DIR"] = str(tmp_path)
    env.update(overrides)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _run(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    return _python(
        tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **overrides
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_fails_loudly(tmp_path: Path) -> None:
    result = _run(tmp_path, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_enabled_connector_without_credentials_fails_loudly(tmp_path: Path) -> None:
    result = _run(tmp_path, QONTO_CLIENT_SECRET="")
    assert result.returncode != 0
    assert "QONTO is enabled but QONTO_CLIENT_SECRET is not set" in result.stderr


def test_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"] + "\n")
    result = _run(tmp_path, SECRET_KEY="", SECRET_KEY_FILE=str(secret_file))
    assert result.returncode == 0, result.stdout + result.stderr


def _setting(tmp_path: Path, expression: str, **overrides: str) -> str:
    script = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = _python(tmp_path, "-c", script, **overrides)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_forwarded_proto_header_is_not_trusted_by_default(tmp_path: Path) -> None:
    expression = "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"
    assert _setting(tmp_path, expression) == "None"
    trusted = _setting(tmp_path, expression, WELL_TRUST_PROXY_SSL_HEADER="1")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_the_cache_is_shared_by_every_process(tmp_path: Path) -> None:
    expression = "settings.CACHES['default']['BACKEND']"
    assert _setting(tmp_path, expression) == "django.core.cache.backends.db.DatabaseCache"
    with_redis = _setting(tmp_path, expression, REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis == "django.core.cache.backends.redis.RedisCache"
