"""The notice rendered to pixels by pdfium: ink stays inside the margins of the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from phonghop.domain.notice import IssuingBody, MeetingRecord, NoticeSettings, draft_notice
from phonghop.notices import build_document, write_pdf

SCALE = 2.0  # pixels per point
MM = 72 / 25.4


@pytest.mark.parametrize("fmt", ["party", "state"])
def test_ink_stays_inside_the_margins(
    fmt: str,
    request: pytest.FixtureRequest,
    make_record: Callable[..., MeetingRecord],
    tmp_path: Path,
) -> None:
    body: IssuingBody = request.getfixturevalue(f"{fmt}_body")
    settings: NoticeSettings = replace(request.getfixturevalue(f"{fmt}_settings"), margin_right_mm=20)
    draft = draft_notice(make_record(20, state=fmt == "state"), body, settings, date(2026, 2, 20))
    document = pdfium.PdfDocument(write_pdf(build_document(draft, body, settings)))
    try:
        assert len(document) >= 2
        for index in range(len(document)):
            image = document[index].render(scale=SCALE).to_pil().convert("L")
            image.save(tmp_path / f"{fmt}_{index + 1}.png")
            ink = image.point(lambda v: 255 if v < 160 else 0).getbbox()
            assert ink is not None
            left, top, right, bottom = (v / SCALE for v in ink)
            width, height = image.width / SCALE, image.height / SCALE
            assert left >= settings.margin_left_mm * MM - 1
            assert right <= width - settings.margin_right_mm * MM + 1
            assert bottom <= height - settings.margin_bottom_mm * MM + 1
            if index == 0:  # no page number: the header starts at the top margin
                assert top >= settings.margin_top_mm * MM - 3  # diacritics above capitals
            else:  # the page number sits in the top margin
                assert top < settings.margin_top_mm * MM
    finally:
        document.close()
