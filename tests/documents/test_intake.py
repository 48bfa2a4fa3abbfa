from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phonghop.documents import blob_path, store_upload, sweep_partial_uploads
from phonghop.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

from .conftest import make_pdf


async def _chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[start : start + size]


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_upload_is_stored_under_its_hash(blob_dir: Path) -> None:
    data = make_pdf()
    progress: list[int] = []

    blob = asyncio.run(store_upload(_chunks(data), blob_dir, max_bytes=10 << 20, on_progress=progress.append))

    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    assert blob.path == blob_dir / blob.sha256[:2] / blob.sha256[2:4] / f"{blob.sha256}.pdf"
    assert blob.path.read_bytes() == data
    assert progress == sorted(progress) and progress[-1] == len(data)
    assert _files(blob_dir) == [blob.path]


def test_identical_upload_reuses_the_blob(blob_dir: Path) -> None:
    data = make_pdf()
    first = asyncio.run(store_upload(_chunks(data), blob_dir, max_bytes=10 << 20))
    inode = first.path.stat().st_ino

    second = asyncio.run(store_upload(_chunks(data, 333), blob_dir, max_bytes=10 << 20))

    assert second == first
    assert second.path.stat().st_ino == inode
    assert _files(blob_dir) == [first.path]


def test_upload_over_the_limit_is_refused_early_and_leaves_nothing(blob_dir: Path) -> None:
    data = make_pdf() * 20
    served: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in _chunks(data, 1000):
            served.append(len(chunk))
            yield chunk

    limit = 5000
    with pytest.raises(PayloadTooLarge) as refused:
        asyncio.run(store_upload(counted(), blob_dir, max_bytes=limit))

    assert refused.value.code == "document_too_large"
    assert refused.value.status == 413
    assert refused.value.params == {"limit_mb": round(limit / (1 << 20), 1)}
    assert sum(served) <= limit + 1000  # stopped reading at the limit
    assert _files(blob_dir) == []


def test_limit_is_reported_in_whole_megabytes(blob_dir: Path) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        asyncio.run(store_upload(_chunks(b"%PDF-" + b"x" * (3 << 20)), blob_dir, max_bytes=2 << 20))
    assert refused.value.params == {"limit_mb": 2}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(os.urandom(5000), id="random-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"GIF89a" + bytes(100), id="short-image"),
        pytest.param(b" " * 1020 + b"%PDF-1.7\n" + bytes(3000), id="magic-after-1KiB"),
    ],
)
def test_non_pdf_is_refused_and_leaves_nothing(blob_dir: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as refused:
        asyncio.run(store_upload(_chunks(data, 100), blob_dir, max_bytes=10 << 20))
    assert refused.value.code == "document_not_pdf"
    assert _files(blob_dir) == []


def test_magic_may_follow_junk_and_span_chunks(blob_dir: Path) -> None:
    data = b"\x00" * 500 + make_pdf()
    blob = asyncio.run(store_upload(_chunks(data, 502), blob_dir, max_bytes=10 << 20))
    assert blob.path.read_bytes() == data


def test_cancelled_upload_leaves_nothing(blob_dir: Path) -> None:
    async def scenario() -> None:
        stalled = asyncio.Event()

        async def slow_client() -> AsyncIterator[bytes]:
            yield make_pdf()[:4000]
            stalled.set()
            await asyncio.Event().wait()  # the client stops sending
            yield b""

        task = asyncio.create_task(store_upload(slow_client(), blob_dir, max_bytes=10 << 20))
        await stalled.wait()
        await asyncio.sleep(0.01)
        assert len(_files(blob_dir)) == 1  # the temporary file exists while receiving
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert _files(blob_dir) == []


def test_client_error_mid_stream_leaves_nothing(blob_dir: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield make_pdf()[:3000]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store_upload(broken(), blob_dir, max_bytes=10 << 20))
    assert _files(blob_dir) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64, "g" * 64, ""])
def test_blob_path_refuses_anything_but_a_sha256(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        blob_path(tmp_path, bad)
    assert refused.value.code == "document_id_invalid"


def test_sweep_removes_only_old_partial_uploads(blob_dir: Path) -> None:
    old = blob_dir / ".upload-old.part"
    fresh = blob_dir / ".upload-fresh.part"
    other = blob_dir / "keep.txt"
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    # Both ages are set from the process's clock, the one the sweep reads: a file system
    # stamps new files with the kernel's clock, which a test that moves the clock (see
    # scripts/test --today) does not move.
    now = time.time()
    os.utime(fresh, (now, now))
    os.utime(old, (now - 7200, now - 7200))

    assert sweep_partial_uploads(blob_dir, older_than_s=3600) == 1
    assert _files(blob_dir) == sorted([fresh, other])
