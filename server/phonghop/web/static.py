"""The client's files (client_web/): compressed, with validators, always revalidated.

A tablet's first load is some sixty small scripts, styles and translations over a busy
Wi-Fi. Text files go out gzip-compressed to a browser that accepts it (compressed once per
file version and kept in memory); every answer carries ``ETag`` and ``Last-Modified`` and
``Cache-Control: no-cache``, so a reload asks "changed?" and gets a bodiless 304 when
nothing changed, and an update is picked up at once. The tablet's service worker (its
own network-first cache) sees the same answers.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

#: Suffixes worth compressing (images and fonts here are already compressed).
COMPRESSIBLE = frozenset({".js", ".css", ".json", ".html", ".svg", ".webmanifest", ".txt", ".map"})
#: Smaller files are sent as they are: gzip's header would eat the gain.
MIN_SIZE = 512
CACHE_CONTROL = "no-cache"


def accepts_gzip(headers: Headers) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip;q=0`` refuses it)."""
    for part in headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in {"gzip", "*"}:
            q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


class ClientFiles(StaticFiles):
    """StaticFiles with gzip for text files and ``Cache-Control: no-cache``."""

    def __init__(self, *, directory: Path, html: bool = False) -> None:
        super().__init__(directory=directory, html=html)
        #: path -> ((mtime_ns, size), compressed bytes); one entry per file, replaced on change
        self._compressed: dict[str, tuple[tuple[int, int], bytes]] = {}

    def _gzip(self, path: str, stat_result: os.stat_result) -> bytes:
        version = (stat_result.st_mtime_ns, stat_result.st_size)
        cached = self._compressed.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        with open(path, "rb") as fh:
            data = gzip.compress(fh.read(), compresslevel=9, mtime=0)
        self._compressed[path] = (version, data)
        return data

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        request_headers = Headers(scope=scope)
        plain = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        plain.headers["cache-control"] = CACHE_CONTROL
        compressible = (
            status_code == 200 and Path(full_path).suffix in COMPRESSIBLE and stat_result.st_size >= MIN_SIZE
        )
        if not compressible:
            if self.is_not_modified(plain.headers, request_headers):
                return NotModifiedResponse(plain.headers)
            return plain
        plain.headers["vary"] = "Accept-Encoding"
        if not accepts_gzip(request_headers):
            if self.is_not_modified(plain.headers, request_headers):
                return NotModifiedResponse(plain.headers)
            return plain
        # The compressed variant has its own entity tag (a strong tag names one body).
        headers = {
            "etag": plain.headers["etag"].removesuffix('"') + '-gzip"',
            "last-modified": plain.headers["last-modified"],
            "cache-control": CACHE_CONTROL,
            "vary": "Accept-Encoding",
        }
        if self.is_not_modified(Headers(headers), request_headers):
            return NotModifiedResponse(Headers(headers))
        body = self._gzip(os.fspath(full_path), stat_result)
        return Response(
            body,
            media_type=plain.media_type,
            headers={**headers, "content-encoding": "gzip"},
        )
