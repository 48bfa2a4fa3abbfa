"""Receiving an uploaded document: size limit, hash, content-addressed blob on disk.

The upload is streamed, never held in memory, and hashed while it is written, so that a
50 MB file costs one pass. Blobs are named by their SHA-256 (``ab/cd/<sha256>.pdf``): the
same document uploaded twice, or by two offices, is stored once, and a blob's name proves
its content (the audit log can cite it).

Only complete files ever carry a blob name. Bytes go to a ``.part`` file beside the blob
directory (same file system, so the final rename is atomic), and every way out other than
success — size limit, not a PDF, a client that disconnects, a cancelled task — removes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from phonghop.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

MAGIC = b"%PDF-"
# The PDF specification allows junk before the header; readers look in the first 1 KiB.
MAGIC_WINDOW = 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    """A complete document on disk, named by its content."""

    sha256: str
    size: int
    path: Path


def blob_path(blob_dir: Path, sha256: str) -> Path:
    """Where the blob with this hash lives (``blob_dir/ab/cd/<sha256>.pdf``).

    The hash comes from URLs and the database, so it is checked before it becomes a
    path: anything but 64 lower-case hex digits is refused (no ``../`` ever reaches disk).
    """
    if not _SHA256.fullmatch(sha256):
        raise InvalidInput("document_id_invalid")
    return blob_dir / sha256[:2] / sha256[2:4] / f"{sha256}.pdf"


async def store_upload(
    chunks: AsyncIterator[bytes],
    blob_dir: Path,
    *,
    max_bytes: int,
    on_progress: Callable[[int], None] | None = None,
) -> StoredBlob:
    """Stream an upload into the blob store and return the stored blob.

    Refuses with ``PayloadTooLarge("document_too_large", limit_mb=...)`` as soon as more
    than ``max_bytes`` arrive (the rest is not read), and with
    ``UnsupportedMedia("document_not_pdf")`` when ``%PDF-`` is not in the first 1 KiB.
    This is only the cheap gate: the file is parsed later by
    :func:`phonghop.documents.inspection.inspect_pdf` in a sandbox.

    ``on_progress`` is called with the byte count so far after each chunk (for a
    progress bar over the websocket). Writes of one chunk go to the page cache and are
    done inline; the ``fsync`` and rename, which can block for a while, run in a thread.
    """
    blob_dir.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=blob_dir, prefix=".upload-", suffix=".part")
    temp_path = Path(temp_name)
    handed_over = False
    try:
        digest = hashlib.sha256()
        size = 0
        head = b""
        magic_seen = False
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge("document_too_large", limit_mb=_megabytes(max_bytes))
                if not magic_seen:
                    head = (head + chunk)[:MAGIC_WINDOW]
                    magic_seen = MAGIC in head
                    if not magic_seen and len(head) >= MAGIC_WINDOW:
                        raise UnsupportedMedia("document_not_pdf")
                digest.update(chunk)
                out.write(chunk)
                if on_progress is not None:
                    on_progress(size)
        if not magic_seen:
            raise UnsupportedMedia("document_not_pdf")
        sha256 = digest.hexdigest()
        final = blob_path(blob_dir, sha256)
        # From here the thread owns the temporary file: if this task is cancelled while
        # the thread runs, the thread still either renames the file or removes it.
        handed_over = True
        await asyncio.to_thread(_commit, temp_path, final)
    finally:
        if not handed_over:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()
    return StoredBlob(sha256=sha256, size=size, path=final)


def _commit(temp_path: Path, final: Path) -> None:
    """Make the temporary file durable and give it its content address.

    An identical blob already there is kept and the new copy dropped: same name, same
    bytes. The directory is synced too, or a crash could lose the rename.
    """
    try:
        _fsync_path(temp_path)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            temp_path.unlink()
            return
        os.replace(temp_path, final)
        _fsync_path(final.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _megabytes(size: int) -> int | float:
    mb = size / (1 << 20)
    return int(mb) if mb.is_integer() else round(mb, 1)


def sweep_partial_uploads(blob_dir: Path, *, older_than_s: float = 3600.0) -> int:
    """Remove ``.part`` files left by a server that was killed mid-upload.

    Only a hard kill (power loss, SIGKILL) can leave them; call this at start-up. Returns
    how many were removed. Recent ones are left alone: they may belong to an upload in
    progress in another server process sharing the directory.
    """
    removed = 0
    cutoff = time.time() - older_than_s
    for part in blob_dir.glob(".upload-*.part"):
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
    return removed
