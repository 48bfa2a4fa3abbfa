""" "My annotated copy": a document version's PDF with a delegate's annotations written as
real PDF annotations, so that they open, and can be edited, in any PDF reader.

* ink → an ``/Ink`` annotation (its strokes in ``/InkList``; PDF ink has one width, taken
  from the pen width and the strokes' mean pressure), with an appearance stream;
* highlight → ``/Highlight`` (``/QuadPoints``, one quadrilateral per rectangle), with an
  appearance stream that multiplies its colour over the text;
* note (text written on the page) → ``/FreeText``;
* comment (a pinned sticky note) → ``/Text``, the icon at the pinned point.

Annotations are stored in fractions of the page as displayed (0..1 from its top left);
they are mapped through the page's crop box and ``/Rotate`` to PDF user space here. The
copy carries the same watermark as a download (``documents.watermark.stamp_pdf``). The
source file came from an upload, so the work runs in a sandboxed child process, as the
watermarking of downloads does.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import FreeText, Highlight, Text
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from phonghop.documents._fonts import SANS, reportlab_font
from phonghop.documents._sandbox import (
    ProcessLimits,
    WorkerCrashed,
    WorkerFailed,
    WorkerOutOfMemory,
    WorkerTimeout,
    run_limited,
)
from phonghop.documents.watermark import stamp_pdf
from phonghop.errors import InvalidInput, NotFound

#: Annotation flag "Print": readers print the annotation with the page.
PRINT = 4
HIGHLIGHT_OPACITY = 0.4
COMMENT_ICON = 20.0


@dataclass(frozen=True)
class Mark:
    """One stored annotation, as the writer needs it (picklable for the sandbox)."""

    name: str
    """Unique within the copy (``/NM``): the annotation's client id."""
    page: int
    kind: str
    data: dict[str, Any]
    author: str
    modified: datetime


@dataclass(frozen=True)
class _Geometry:
    """Maps page-relative display coordinates to PDF user space for one page."""

    left: float
    bottom: float
    width: float
    height: float
    rotation: int

    @classmethod
    def of(cls, page: PageObject) -> _Geometry:
        box = page.cropbox
        return cls(
            float(box.left), float(box.bottom), float(box.width), float(box.height), page.rotation % 360
        )

    @property
    def shown(self) -> tuple[float, float]:
        """The page's width and height as displayed."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)

    def point(self, u: float, v: float) -> tuple[float, float]:
        """``(u, v)``: fractions of the displayed width and height from the top left."""
        shown_w, shown_h = self.shown
        dx, dy = u * shown_w, v * shown_h
        if self.rotation == 90:
            return self.left + dy, self.bottom + dx
        if self.rotation == 180:
            return self.left + self.width - dx, self.bottom + dy
        if self.rotation == 270:
            return self.left + self.width - dy, self.bottom + self.height - dx
        return self.left + dx, self.bottom + self.height - dy

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """A displayed rectangle as ``(llx, lly, urx, ury)`` in user space."""
        (ax, ay), (bx, by) = self.point(x0, y0), self.point(x1, y1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(color: str) -> str:
    return color.removeprefix("#")


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _floats(values: Sequence[float]) -> ArrayObject:
    return ArrayObject(FloatObject(round(v, 3)) for v in values)


def _pdf_date(when: datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%SZ")


def _appearance(
    writer: PdfWriter,
    rect: tuple[float, float, float, float],
    content: str,
    resources: DictionaryObject | None = None,
) -> DictionaryObject:
    stream = DecodedStreamObject()
    stream.set_data(content.encode("ascii"))
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): _floats(rect),
            NameObject("/Resources"): resources or DictionaryObject(),
        }
    )
    return DictionaryObject({NameObject("/N"): writer._add_object(stream)})


def _ink(writer: PdfWriter, geometry: _Geometry, data: dict[str, Any]) -> DictionaryObject:
    strokes = [[geometry.point(x, y) for x, y, _p in stroke] for stroke in data["strokes"]]
    pressures = [p for stroke in data["strokes"] for _x, _y, p in stroke]
    width = data["width"] * geometry.shown[0] * (0.5 + sum(pressures) / len(pressures))
    xs = [x for stroke in strokes for x, _ in stroke]
    ys = [y for stroke in strokes for _, y in stroke]
    rect = (min(xs) - width, min(ys) - width, max(xs) + width, max(ys) + width)
    r, g, b = _rgb(data["color"])
    path = []
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:] or stroke[:1]
        path.append(f"{_num(x)} {_num(y)} m " + " ".join(f"{_num(px)} {_num(py)} l" for px, py in rest))
    content = f"q 1 J 1 j {_num(width)} w {_num(r)} {_num(g)} {_num(b)} RG " + " ".join(path) + " S Q"
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): _floats(rect),
            NameObject("/InkList"): ArrayObject(_floats([c for point in s for c in point]) for s in strokes),
            NameObject("/C"): _floats((r, g, b)),
            NameObject("/BS"): DictionaryObject(
                {NameObject("/W"): FloatObject(round(width, 3)), NameObject("/S"): NameObject("/S")}
            ),
            NameObject("/AP"): _appearance(writer, rect, content),
        }
    )


def _highlight(writer: PdfWriter, geometry: _Geometry, data: dict[str, Any]) -> DictionaryObject:
    boxes = [geometry.rect(*r) for r in data["rects"]]
    rect = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    quads = [c for x0, y0, x1, y1 in boxes for c in (x0, y1, x1, y1, x0, y0, x1, y0)]
    annotation = Highlight(rect=rect, quad_points=_floats(quads), highlight_color=_hex(data["color"]))
    r, g, b = _rgb(data["color"])
    fills = " ".join(f"{_num(x0)} {_num(y0)} {_num(x1 - x0)} {_num(y1 - y0)} re" for x0, y0, x1, y1 in boxes)
    state = DictionaryObject(
        {
            NameObject("/GS0"): DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/ExtGState"),
                    NameObject("/BM"): NameObject("/Multiply"),
                    NameObject("/ca"): FloatObject(HIGHLIGHT_OPACITY),
                }
            )
        }
    )
    resources = DictionaryObject({NameObject("/ExtGState"): state})
    annotation[NameObject("/CA")] = FloatObject(HIGHLIGHT_OPACITY)
    annotation[NameObject("/AP")] = _appearance(
        writer, rect, f"q /GS0 gs {_num(r)} {_num(g)} {_num(b)} rg {fills} f Q", resources
    )
    return annotation


def _note(writer: PdfWriter, geometry: _Geometry, data: dict[str, Any]) -> DictionaryObject:
    rect = geometry.rect(*data["rect"])
    annotation = FreeText(
        text=data["text"],
        rect=rect,
        font_size=f"{_num(data['font_size'])}pt",
        font_color=_hex(data["color"]),
        border_color=None,
        background_color=None,
    )
    annotation[NameObject("/AP")] = _text_appearance(writer, geometry, rect, data)
    return annotation


def _text_appearance(
    writer: PdfWriter, geometry: _Geometry, rect: tuple[float, float, float, float], data: dict[str, Any]
) -> DictionaryObject:
    """The note's text set in the vendored font (Vietnamese needs more than the standard
    fonts' glyphs, and some readers draw nothing without an appearance), upright as the
    page is displayed: the form is drawn in display orientation and turned by ``/Matrix``."""
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    if geometry.rotation in (90, 270):
        width, height = height, width
    font, size = reportlab_font(SANS), float(data["font_size"])
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.setFillColorRGB(*_rgb(data["color"]))
    pdf.setFont(font, size)
    y = height - size * 1.1
    for paragraph in data["text"].splitlines() or [""]:
        for line in simpleSplit(paragraph, font, size, max(width - 4, size)) or [""]:
            pdf.drawString(2, y, line)
            y -= size * 1.2
    pdf.showPage()
    pdf.save()
    drawn = PdfReader(buffer).pages[0]
    stream = DecodedStreamObject()
    contents = drawn.get_contents()
    stream.set_data(contents.get_data() if contents is not None else b"")
    turn = math.radians(geometry.rotation)
    cos, sin = round(math.cos(turn)), round(math.sin(turn))
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): _floats((0, 0, width, height)),
            NameObject("/Matrix"): _floats((cos, sin, -sin, cos, 0, 0)),
            NameObject("/Resources"): drawn["/Resources"].clone(writer),
        }
    )
    return DictionaryObject({NameObject("/N"): writer._add_object(stream)})


def _comment(geometry: _Geometry, data: dict[str, Any]) -> DictionaryObject:
    x, y = geometry.point(data["x"], data["y"])
    annotation = Text(rect=(x, y - COMMENT_ICON, x + COMMENT_ICON, y), text=data["text"])
    annotation[NameObject("/C")] = _floats(_rgb(data["color"]))
    annotation[NameObject("/Name")] = NameObject("/Comment")
    return annotation


def write_annotations(source: bytes, marks: Sequence[Mark]) -> bytes:
    """``source`` with ``marks`` added to its pages' ``/Annots`` (in-process)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    for mark in marks:
        if not 1 <= mark.page <= len(writer.pages):
            continue  # the version's page count was checked when it was made; never here
        geometry = _Geometry.of(writer.pages[mark.page - 1])
        if mark.kind == "ink":
            annotation = _ink(writer, geometry, mark.data)
        elif mark.kind == "highlight":
            annotation = _highlight(writer, geometry, mark.data)
        elif mark.kind == "note":
            annotation = _note(writer, geometry, mark.data)
        else:
            annotation = _comment(geometry, mark.data)
        annotation[NameObject("/T")] = TextStringObject(mark.author)
        annotation[NameObject("/NM")] = TextStringObject(mark.name)
        annotation[NameObject("/M")] = TextStringObject(_pdf_date(mark.modified))
        annotation[NameObject("/F")] = NumberObject(PRINT)
        if mark.kind in ("ink", "highlight"):
            annotation[NameObject("/Contents")] = TextStringObject("")
        writer.add_annotation(page_number=mark.page - 1, annotation=annotation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_and_annotate(path: str, lines: tuple[str, ...], marks: tuple[Mark, ...]) -> bytes:
    """The watermark of a download, then the annotations (called inside the sandbox)."""
    return write_annotations(stamp_pdf(path, lines), marks)


def annotated_pdf(
    path: Path, lines: Sequence[str], marks: Sequence[Mark], *, limits: ProcessLimits | None = None
) -> bytes:
    """The annotated copy as bytes to send (blocking: use :func:`annotated_pdf_async`).

    Errors: ``NotFound("document_blob_not_found")``, ``InvalidInput("pdf_annotation_failed")``.
    """
    if not path.is_file():
        raise NotFound("document_blob_not_found")
    limits = limits or ProcessLimits(memory_bytes=1 << 30, cpu_seconds=120, wall_seconds=150.0)
    try:
        return run_limited(stamp_and_annotate, (str(path), tuple(lines), tuple(marks)), limits)
    except (WorkerTimeout, WorkerCrashed, WorkerFailed, WorkerOutOfMemory):
        raise InvalidInput("pdf_annotation_failed") from None


async def annotated_pdf_async(
    path: Path, lines: Sequence[str], marks: Sequence[Mark], *, limits: ProcessLimits | None = None
) -> bytes:
    return await asyncio.to_thread(annotated_pdf, path, lines, marks, limits=limits)
