"""Where attachment files live: the local disk under the state dir, or an S3-compatible bucket.

Each stored file has a key the service makes (date/random hex), never one derived from the client's
file name, so no name can climb out of the store. The S3 store uses boto3 (the AWS SDK, kept by AWS,
speaks to any S3-compatible server: MinIO, Ceph, the provinces' government clouds) from worker threads:
it is synchronous, and aiobotocore would pin botocore to its own narrow range of versions.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator, Protocol

from aiohttp import web

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


def new_key(now: datetime) -> str:
    """A fresh storage key: YYYY/MM/DD/32 hex characters."""
    return f"{now:%Y/%m/%d}/{secrets.token_hex(16)}"


class Store(Protocol):
    name: str

    async def put(self, src: Path, key: str) -> None: ...
    def chunks(self, key: str) -> AsyncIterator[bytes]: ...
    async def delete(self, key: str) -> None: ...


class LocalStore:
    """Files under root/<key>; put moves the spooled file in (same file system: a rename)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    async def put(self, src: Path, key: str) -> None:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        with open(self.path(key), "rb") as f:
            while chunk := await asyncio.to_thread(f.read, CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Store:
    """Objects <prefix><key> in one bucket of an S3-compatible server."""

    name = "s3"

    def __init__(self, client, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    async def put(self, src: Path, key: str) -> None:
        # Stored as opaque bytes: the service decides the type it answers with, not the bucket.
        await asyncio.to_thread(self.client.upload_file, str(src), self.bucket, self.prefix + key,
                                ExtraArgs={"ContentType": "application/octet-stream"})

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        obj = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=self.prefix + key)
        body = obj["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self.prefix + key)


def s3_client(settings):
    """A boto3 S3 client for the configured endpoint (credentials: settings, else boto3's usual chain)."""
    import boto3
    from botocore.config import Config

    cfg = Config(connect_timeout=settings.s3_timeout_seconds, read_timeout=settings.s3_timeout_seconds,
                 retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
                        aws_access_key_id=settings.s3_access_key, aws_secret_access_key=settings.s3_secret_key,
                        config=cfg)


class Stores:
    """The store new files go to, and every store a file may already be in (by the row's `storage`)."""

    def __init__(self, local: LocalStore, s3: S3Store | None) -> None:
        self.local, self.s3 = local, s3
        self.current: Store = s3 or local
        self.spool_dir = local.root / ".spool"

    def get(self, name: str) -> Store:
        store = self.s3 if name == "s3" else self.local if name == "local" else None
        if store is None:
            raise LookupError(f"attachment store {name!r} is not configured")
        return store


STORES = web.AppKey("attachment_stores", Stores)


async def stores_ctx(app: web.Application):
    """Open the attachment stores at start-up (the local one always: older files may live there)."""
    from hotline import keys

    settings = app[keys.SETTINGS]
    local = LocalStore(Path(settings.attachments_dir or settings.state_dir / "attachments").resolve())
    local.root.mkdir(parents=True, exist_ok=True)
    s3 = None
    if settings.s3_bucket:
        s3 = S3Store(s3_client(settings), settings.s3_bucket, settings.s3_prefix)
        try:
            await asyncio.to_thread(s3.client.head_bucket, Bucket=settings.s3_bucket)
        except Exception as exc:  # noqa: BLE001 - botocore raises many kinds; uploads will tell the caller
            log.warning("S3 bucket %s not reachable at start-up: %s", settings.s3_bucket, exc)
    app[STORES] = Stores(local, s3)
    app[STORES].spool_dir.mkdir(parents=True, exist_ok=True)
    yield
