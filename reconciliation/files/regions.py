"""One storage per data region, configured by environment (``WELL_STORAGE_<REGION>``).

- ``file:///srv/well/eu`` — a local folder (the default: ``MEDIA_ROOT/<region>``);
- ``s3://bucket?endpoint=https://s3.example&region=eu-west-3&prefix=well`` — an S3-compatible
  bucket through django-storages; credentials come from boto3's usual sources
  (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, an instance role...).
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.core.files.storage import Storage

#: Timeouts for every call to a bucket (seconds).
S3_CONNECT_TIMEOUT = 5
S3_READ_TIMEOUT = 30


def regions() -> list[str]:
    from reconciliation.models import DataRegion

    return [str(region) for region in DataRegion.values]


def storage_url(region: str) -> str:
    configured: dict[str, str] = getattr(settings, "WELL_STORAGES", {})
    url = configured.get(region, "")
    if url:
        return url
    return (Path(settings.MEDIA_ROOT) / region).resolve().as_uri()


def backend(region: str) -> Storage:
    """The storage that holds the region's (sealed) files."""
    if region not in regions():
        raise ImproperlyConfigured(f"unknown data region {region!r}")
    return _backend_for(storage_url(region))


@functools.lru_cache(maxsize=16)
def _backend_for(url: str) -> Storage:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileSystemStorage(location=unquote(parts.path), base_url=None)
    if parts.scheme == "s3":
        return _s3(parts.netloc, parse_qs(parts.query))
    raise ImproperlyConfigured(
        f"a data region's storage is file:// or s3://, not {parts.scheme}://"
    )


def _s3(bucket: str, query: dict[str, list[str]]) -> Storage:
    from botocore.config import Config  # type: ignore[import-untyped]
    from storages.backends.s3 import S3Storage  # type: ignore[import-untyped]

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    storage: Storage = S3Storage(
        bucket_name=bucket,
        endpoint_url=one("endpoint"),
        region_name=one("region"),
        location=one("prefix") or "",
        file_overwrite=True,  # names are content-addressed: the same name is the same file
        default_acl=None,
        querystring_auth=True,
        client_config=Config(
            connect_timeout=S3_CONNECT_TIMEOUT,
            read_timeout=S3_READ_TIMEOUT,
            retries={"max_attempts": 3},
            s3={"addressing_style": "path"},
        ),
    )
    return storage
