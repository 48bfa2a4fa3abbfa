"""The vendored Liberation fonts, for Pillow and reportlab.

The system runs on closed networks and on servers with no fonts installed, so every glyph
we draw comes from ``phonghop/fonts`` (metric-compatible with Arial and Times New Roman,
with full Vietnamese coverage). They are read through ``importlib.resources`` so that an
installed wheel works as well as a source checkout.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "LiberationSans-Regular.ttf"
SANS_BOLD = "LiberationSans-Bold.ttf"
SERIF = "LiberationSerif-Regular.ttf"
SERIF_BOLD = "LiberationSerif-Bold.ttf"
SERIF_ITALIC = "LiberationSerif-Italic.ttf"
SERIF_BOLD_ITALIC = "LiberationSerif-BoldItalic.ttf"

_register_lock = threading.Lock()


@cache
def font_bytes(filename: str) -> bytes:
    return (resources.files("phonghop") / "fonts" / filename).read_bytes()


def reportlab_font(filename: str) -> str:
    """Register a vendored font with reportlab (once) and return its name there.

    reportlab embeds a subset of the glyphs with a ToUnicode map, so text drawn with it
    stays searchable and copyable in the PDF.
    """
    name = "Phonghop-" + filename.removesuffix(".ttf")
    with _register_lock:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(font_bytes(filename))))
    return name
