"""Environment and database set-up shared by bench/admin.py and bench/soak.py."""

from __future__ import annotations

import os


def environment(database_url: str, media_root: str, **extra: str) -> dict[str, str]:
    """Django settings for a bench process (read from the environment at set-up)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "well.settings",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": media_root,
            "WELL_VAR_DIR": media_root,
            "WELL_DEMO": "1",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "WELL_REQUIRE_MFA": "0",
            "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-secret-key-not-used-anywhere-else-000000"),
            "WELL_MASTER_KEY": env.get(
                "WELL_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="
            ),
            "LOG_LEVEL": env.get("LOG_LEVEL", "ERROR"),
            "LOG_FORMAT": "plain",
            "EMAIL_URL": "consolemail://",
        }
    )
    env.update(extra)
    return env


def recreate_database(database_url: str) -> None:
    """Drop and create the bench's own database (never another one)."""
    import psycopg
    from psycopg import sql

    base, _, name = database_url.rpartition("/")
    if not name.startswith("well_bench_"):
        raise SystemExit(f"refusing to drop {name!r}: bench databases are named well_bench_*")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
