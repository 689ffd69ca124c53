"""Attachments in S3-compatible storage (#17), against a real little S3 server (moto's, over HTTP).

moto[server] is a test dependency: an S3 API served on a loopback port, spoken to by the same boto3
client the service uses in production against MinIO, Ceph or a cloud bucket.
"""
from __future__ import annotations

import hashlib

import boto3
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline.app import create_app
from tests.attachments import files
from tests.attachments.test_attachments import _dispatched, _upload

moto_server = pytest.importorskip("moto.server")
BUCKET = "hotline-attachments"
CREDS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="module")
def s3_url():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", **CREDS).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


@pytest.fixture(scope="module")
async def s3_client(settings, s3_url):
    app = create_app(settings.model_copy(update={
        "s3_bucket": BUCKET, "s3_endpoint_url": s3_url, "s3_access_key": CREDS["aws_access_key_id"],
        "s3_secret_key": CREDS["aws_secret_access_key"], "s3_prefix": "t/"}))
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_files_go_to_the_bucket_and_come_back_with_safe_headers(s3_client, client, agent, tokens, s3_url):
    t, handler = await _dispatched(s3_client, agent, tokens)
    photo, doc = files.png(5, 5), files.pdf()
    up = await (await _upload(s3_client, t["id"], photo, agent, filename="现场.png")).json()
    ev = await (await _upload(s3_client, t["id"], doc, handler, filename="报告.pdf")).json()
    assert up["sha256"] == hashlib.sha256(photo).hexdigest()

    bucket = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **CREDS)
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET, Prefix="t/")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("t/") and "现场" not in k for k in keys)
    stored = {bucket.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}
    assert stored == {photo, doc}

    got = await s3_client.get(up["url"], headers=agent)
    assert await got.read() == photo and got.headers["Content-Type"] == "image/png"
    got = await s3_client.get(ev["url"], headers=handler)
    assert await got.read() == doc and got.headers["Content-Type"] == "application/octet-stream"
    # an instance without S3 configured knows the file is elsewhere: 503, not a 500 or a wrong file
    assert (await client.get(up["url"], headers=agent)).status == 503


async def test_an_unreachable_bucket_is_503_and_nothing_is_recorded(settings, agent, tokens):
    app = create_app(settings.model_copy(update={
        "s3_bucket": BUCKET, "s3_endpoint_url": "http://127.0.0.1:9", "s3_timeout_seconds": 1.0,
        "s3_access_key": "k", "s3_secret_key": "s"}))
    async with TestClient(TestServer(app)) as c:
        t, _ = await _dispatched(c, agent, tokens)
        resp = await _upload(c, t["id"], files.png(), agent)
        assert resp.status == 503 and resp.headers["Retry-After"]
        listed = await (await c.get(f"/api/v1/tickets/{t['id']}/attachments", headers=agent)).json()
        assert listed["items"] == []
