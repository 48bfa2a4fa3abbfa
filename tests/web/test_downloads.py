"""The headers of every file download: private, never cached, named so that both old
clients (plain ``filename``) and current ones (RFC 5987 ``filename*``) get a good name."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from phonghop.web.context import download_headers


def test_a_vietnamese_name_travels_as_filename_star_beside_an_ascii_fallback() -> None:
    headers = download_headers("Tờ trình kế hoạch (ghi chú).pdf", fallback="document-7-annotated.pdf")
    assert headers["Cache-Control"] == "private, no-store"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"document-7-annotated.pdf\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "Tờ trình kế hoạch (ghi chú).pdf"
    disposition.encode("latin-1")  # what an HTTP header may carry


def test_an_ascii_name_is_sent_once_and_inline_when_asked() -> None:
    assert (
        download_headers("giay-moi-3.pdf", inline=True)["Content-Disposition"]
        == 'inline; filename="giay-moi-3.pdf"'
    )


def test_a_name_without_an_ascii_fallback_is_a_bug_caught_before_sending() -> None:
    with pytest.raises(ValueError):
        download_headers("Báo cáo.pdf")
