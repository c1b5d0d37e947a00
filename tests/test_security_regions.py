"""Data regions: a workspace's files live in its region's storage — here a real S3-compatible
server (moto in server mode on 127.0.0.1) for the UK and local folders elsewhere — and
`move_workspace_region` moves them, resumably, without ever decrypting them."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from moto.server import ThreadedMotoServer
from pytest_django.fixtures import Settings

from reconciliation.files import regions
from reconciliation.models import DataRegion
from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

BUCKET = "well-uk"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "well-test",
        "AWS_SECRET_ACCESS_KEY": "well-test-secret",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)
    regions._backend_for.cache_clear()


@pytest.fixture(autouse=True)
def _storages(settings: Settings, tmp_path: Path, s3_endpoint: str) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WELL_STORAGES = {
        "uk": f"s3://{BUCKET}?endpoint={s3_endpoint}&region=eu-west-2&prefix=well"
    }


def _objects(client: object) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])  # type: ignore[attr-defined]
    return {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()  # type: ignore[attr-defined]
        for item in listing
    }


def _document(workspace: Workspace, n: int) -> Document:
    content = b"%PDF-1.4\n% invoice " + str(n).encode() + b"\n%%EOF\n"
    document = make_document(workspace, content_hash=hashlib.sha256(content).hexdigest())
    document.file.save("invoice.pdf", ContentFile(content), save=True)
    return document


def _read(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return bytes(handle.read())


def test_a_uk_workspace_keeps_its_sealed_files_in_the_uk_bucket(bucket: object) -> None:
    workspace = make_workspace("London Ltd", data_region=DataRegion.UK)
    document = _document(workspace, 1)
    stored = _objects(bucket)
    assert list(stored) == [f"well/{document.file.name}"]
    assert stored[f"well/{document.file.name}"].startswith(b"WF1")
    assert b"%PDF" not in stored[f"well/{document.file.name}"]
    assert _read(document).startswith(b"%PDF-1.4\n% invoice 1")


def test_moving_a_workspace_moves_its_files_and_keeps_them_readable(
    bucket: object, settings: Settings
) -> None:
    workspace = make_workspace("Paris SAS")
    documents = [_document(workspace, n) for n in range(3)]
    local = Path(settings.MEDIA_ROOT) / "eu"
    assert len([p for p in local.rglob("*") if p.is_file()]) == 3

    out = StringIO()
    call_command("move_workspace_region", workspace.slug, "uk", stdout=out)

    assert "3 file(s) copied" in out.getvalue()
    assert "Move finished." in out.getvalue()
    assert [p for p in local.rglob("*") if p.is_file()] == []
    assert sorted(_objects(bucket)) == sorted(f"well/{d.file.name}" for d in documents)
    workspace.refresh_from_db()
    assert (workspace.data_region, workspace.region_move_from) == ("uk", "")
    assert [_read(d)[-12:] for d in documents] == [
        f"invoice {n}\n%%EOF\n".encode()[-12:] for n in range(3)
    ]


def test_an_interrupted_move_reads_from_both_regions_and_resumes(
    bucket: object, settings: Settings
) -> None:
    workspace = make_workspace("Lyon SAS")
    documents = [_document(workspace, n) for n in range(3)]

    first = StringIO()
    call_command("move_workspace_region", workspace.pk, "uk", max_files=1, stdout=first)
    assert "run the same command again to resume" in first.getvalue()
    workspace.refresh_from_db()
    assert (workspace.data_region, workspace.region_move_from) == ("uk", "eu")
    assert len(_objects(bucket)) == 1
    assert all(_read(d).startswith(b"%PDF") for d in documents)  # both halves readable

    with pytest.raises(Exception, match="unfinished"):
        call_command("move_workspace_region", workspace.pk, "us", stdout=StringIO())

    second = StringIO()
    call_command("move_workspace_region", workspace.pk, "uk", stdout=second)
    assert "2 file(s) copied" in second.getvalue()
    assert len(_objects(bucket)) == 3
    workspace.refresh_from_db()
    assert workspace.region_move_from == ""
