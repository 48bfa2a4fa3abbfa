"""The document library: upload intake, PDF inspection, page rendering, watermarks, search.

No database and no HTTP here: the services layer stores what these functions return, and
the web layer maps their errors (each with a stable code, messages in
``locales/*/documents.json``). The flow for an uploaded meeting document:

1. :func:`store_upload` streams the upload into the content-addressed blob store;
2. :func:`inspect_pdf` validates it in a sandboxed process and returns its pages and text;
3. :meth:`PageCache.get_or_render` serves page images to the tablets, rendered once by a
   :class:`RenderPool` of sandboxed pdfium workers;
4. :func:`watermark_image` / :func:`watermark_pdf` mark a classified document with the
   recipient's name; :func:`search_pages` searches the text from step 2.

Processes are started through a ``forkserver``: a program that uses this package must
guard its entry point with ``if __name__ == "__main__":`` (uvicorn and pytest do).
"""

from phonghop.documents import _pdflog
from phonghop.documents._sandbox import ProcessLimits
from phonghop.documents.inspection import (
    InspectionLimits,
    PageInfo,
    PdfInfo,
    inspect_pdf,
    inspect_pdf_async,
)
from phonghop.documents.intake import StoredBlob, blob_path, store_upload, sweep_partial_uploads
from phonghop.documents.rendering import (
    MEDIA_TYPES,
    CacheStats,
    ImageFormat,
    PageCache,
    RenderedPage,
    RenderPool,
    RenderSettings,
)
from phonghop.documents.search import Hit, search_pages
from phonghop.documents.watermark import (
    watermark_image,
    watermark_image_async,
    watermark_pdf,
    watermark_pdf_async,
)

__all__ = [
    "MEDIA_TYPES",
    "CacheStats",
    "Hit",
    "ImageFormat",
    "InspectionLimits",
    "PageCache",
    "PageInfo",
    "PdfInfo",
    "ProcessLimits",
    "RenderPool",
    "RenderSettings",
    "RenderedPage",
    "StoredBlob",
    "blob_path",
    "inspect_pdf",
    "inspect_pdf_async",
    "search_pages",
    "store_upload",
    "sweep_partial_uploads",
    "watermark_image",
    "watermark_image_async",
    "watermark_pdf",
    "watermark_pdf_async",
]

_pdflog.install()
