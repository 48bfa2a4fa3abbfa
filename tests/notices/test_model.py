"""The layout-neutral model both writers draw: its blocks carry every rule of the format."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from phonghop.domain.notice import IssuingBody, NoticeDraft, NoticeSettings
from phonghop.notices.model import Align, Columns, Space, Text, build_document


def _roles(blocks: tuple[object, ...]) -> list[str]:
    return [b.role for b in blocks if isinstance(b, Text | Columns)]


def test_block_order(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    doc = build_document(party_draft, party_body, party_settings)
    roles = _roles(doc.blocks)
    assert roles[:4] == ["header", "title", "summary", "opening"]
    assert roles[-3:] == ["vote", "closing", "footer"]
    assert set(roles[4:-3]) == {"point"}


def test_party_header_cells(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    header = build_document(party_draft, party_body, party_settings).blocks[0]
    assert isinstance(header, Columns)
    top, second = header.rows
    (issuer, star), (national,) = top.left, top.right
    assert isinstance(issuer, Text) and isinstance(star, Text) and isinstance(national, Text)
    assert issuer.upper and issuer.spans[0].bold and issuer.rule is None and star.plain == "*"
    assert national.plain == "ĐẢNG CỘNG SẢN VIỆT NAM" and national.rule is not None
    assert national.rule.fraction == 1.0
    (dated,) = second.right
    assert isinstance(dated, Text) and dated.spans[0].italic


def test_state_rules_are_short(
    state_draft: NoticeDraft, state_body: IssuingBody, state_settings: NoticeSettings
) -> None:
    doc = build_document(state_draft, state_body, state_settings)
    summary = next(b for b in doc.blocks if isinstance(b, Text) and b.role == "summary")
    assert summary.rule is not None and summary.rule.fraction == state_settings.summary_rule_fraction
    header = doc.blocks[0]
    assert isinstance(header, Columns)
    issuer = header.rows[0].left[-1]
    assert isinstance(issuer, Text) and issuer.rule is not None
    assert issuer.rule.fraction == state_settings.issuer_rule_fraction


def test_body_paragraphs_follow_the_settings(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    settings = replace(party_settings, first_line_indent_mm=10, paragraph_spacing_pt=8, size_body=15)
    body = [b for b in build_document(party_draft, party_body, settings).blocks if isinstance(b, Text)][2:]
    assert body and all(b.align is Align.JUSTIFY for b in body)
    assert all((b.first_line_indent_mm, b.space_after_pt, b.size) == (10, 8, 15) for b in body)
    assert body[-1].keep_with_next  # the last paragraph stays with the signature
    assert body[-1].plain.endswith("thực hiện.")


def test_state_final_mark_and_signature_room(
    state_draft: NoticeDraft, state_body: IssuingBody, state_settings: NoticeSettings
) -> None:
    doc = build_document(state_draft, state_body, state_settings)
    closing = next(b for b in doc.blocks if isinstance(b, Text) and b.role == "closing")
    assert closing.plain.endswith("thực hiện./.")
    footer = doc.blocks[-1]
    assert isinstance(footer, Columns)
    spaces = [c for c in footer.rows[0].right if isinstance(c, Space)]
    assert [s.height_mm for s in spaces] == [state_settings.signature_space_mm]


def test_all_text_is_nfc(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    nfd_body = replace(party_body, name=unicodedata.normalize("NFD", "Đảng ủy xã Ia Grai"))
    doc = build_document(party_draft, nfd_body, party_settings)
    texts: list[str] = []
    for block in doc.blocks:
        cells = (
            [c for row in block.rows for c in (*row.left, *row.right)]
            if isinstance(block, Columns)
            else [block]
        )
        texts += [c.plain for c in cells if isinstance(c, Text)]
    assert "ĐẢNG ỦY XÃ IA GRAI" in texts
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
