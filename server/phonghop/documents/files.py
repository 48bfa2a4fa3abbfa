"""The server's document files: the blob store, the page cache and the render workers.

One :class:`DocumentFiles` per app instance, made in the lifespan; the services layer
keeps the database side (versions, access, text) and asks this for bytes.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from phonghop.documents.inspection import InspectionLimits
from phonghop.documents.intake import blob_path, sweep_partial_uploads
from phonghop.documents.rendering import PageCache, RenderPool, RenderSettings

log = logging.getLogger("phonghop.documents")

#: Image widths tablets may ask for: thumbnails, then 10-inch screens at 1x and 2x.
PAGE_WIDTHS = (320, 800, 1280, 1600, 2048)


@dataclass
class DocumentFiles:
    blob_dir: Path
    cache_dir: Path
    max_upload_bytes: int
    render: RenderSettings = field(default_factory=lambda: RenderSettings(widths=PAGE_WIDTHS))
    inspection: InspectionLimits = field(default_factory=InspectionLimits)

    def __post_init__(self) -> None:
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.pool = RenderPool(self.render)
        self.pages = PageCache(self.cache_dir, self.blob_dir, self.pool)

    def start(self) -> None:
        swept = sweep_partial_uploads(self.blob_dir)
        if swept:
            log.info("removed %d unfinished uploads", swept)

    def close(self) -> None:
        self.pool.close()

    def path(self, sha256: str) -> Path:
        return blob_path(self.blob_dir, sha256)

    def forget(self, sha256: str) -> None:
        """Remove a blob no version refers to (an upload refused after it was stored)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()
        self.pages.purge(sha256)
