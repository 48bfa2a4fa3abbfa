"""The visible signature of an issued notice: the signer's signature image and the
issuing body's seal over it (Nghị định 30/2020/NĐ-CP, Phụ lục I, electronic documents;
see docs/notices.md for the rule as cited).

* :func:`check_png` accepts an uploaded image only if it is a PNG with transparency,
  within the byte and pixel limits, and tells its real size when the file says it (pHYs).
* :class:`SignatureStamp` is what the PDF writer draws in the room left for the
  signature: the signature image (blue) centred between the signer's title and name, the
  seal (red, at its real size) over the left third of it, and beside the seal the body's
  name and the signing time (ISO 8601, Vietnam time) in small upright type.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import Image, UnidentifiedImageError

from phonghop.errors import InvalidInput, PayloadTooLarge

#: Vietnam time (UTC+7, no daylight saving): the rule asks the signing time in it.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
#: An uploaded signature or seal image may be at most this many bytes and pixels a side.
MAX_IMAGE_BYTES = 512 * 1024
MAX_IMAGE_SIDE_PX = 3000
#: A seal whose PNG does not say its real size is drawn this wide (a common 36 mm seal).
DEFAULT_SEAL_MM = 36.0
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PngImage:
    """A checked PNG: its pixels, and its real width in millimetres when the file says it."""

    width_px: int
    height_px: int
    width_mm: float | None


def check_png(data: bytes) -> PngImage:
    """Accept ``data`` as a signature or seal image.

    Raises ``PayloadTooLarge("notice_image_too_large")`` (``limit_kb``), or ``InvalidInput`` with
    ``notice_image_not_png``, ``notice_image_too_many_pixels`` (``limit_px``) or
    ``notice_image_not_transparent`` (the rule asks a transparent background).
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge("notice_image_too_large", limit_kb=MAX_IMAGE_BYTES // 1024)
    if not data.startswith(_PNG_MAGIC):
        raise InvalidInput("notice_image_not_png")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                width, height = image.size
                if max(width, height) > MAX_IMAGE_SIDE_PX:
                    raise InvalidInput("notice_image_too_many_pixels", limit_px=MAX_IMAGE_SIDE_PX)
                transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                dpi = image.info.get("dpi")
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("notice_image_not_png") from None
    except Image.DecompressionBombWarning:
        raise InvalidInput("notice_image_too_many_pixels", limit_px=MAX_IMAGE_SIDE_PX) from None
    if not transparent:
        raise InvalidInput("notice_image_not_transparent")
    width_mm = None
    if dpi and isinstance(dpi, tuple) and dpi[0] and float(dpi[0]) > 1:
        width_mm = round(width / float(dpi[0]) * _MM_PER_INCH, 2)
    return PngImage(width, height, width_mm)


def signing_time_text(moment: datetime) -> str:
    """ "2026-06-22T09:15:00+07:00": the moment in Vietnam time, ISO 8601, to the second."""
    return moment.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SignatureStamp:
    """What appears in the room for the signature of an issued, digitally signed notice.

    ``signature_png``: the signer's handwritten signature (``None``: none uploaded).
    ``seal_png`` and ``seal_width_mm``: the body's seal at its real size (``None``: none).
    ``caption``: the lines printed beside the seal (the body's name, the signing time).
    """

    signature_png: bytes | None
    seal_png: bytes | None
    seal_width_mm: float
    caption: tuple[str, ...]
    caption_size_pt: float = 10.0
