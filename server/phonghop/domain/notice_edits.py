"""Editing a conclusion notice's draft: the rules the editor's changes must follow.

Pure rules, no I/O: the office sends the body's paragraphs (:class:`PointText`) and the
fields to replace (:class:`DraftChanges`); :func:`apply_changes` numbers the paragraphs
as the drafter does and checks the result like a new draft. :func:`parse_signature`
reads a signature block as the settings and the editor send it (JSON), and
:func:`signature_json` writes it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from phonghop.domain import notice as nd
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput

#: A notice's states: a draft is edited; an issued notice never changes again. Where the
#: signer signs in person (Nghị định 30/2020/NĐ-CP: the leader signs, then the văn thư
#: numbers, dates and issues), the office hands the draft to them (``awaiting_signature``);
#: they return it to ``draft`` with a reason, or sign it (``signer_signed``), and the
#: office then issues it. The office may withdraw a hand-off back to ``draft``.
DRAFT = "draft"
AWAITING_SIGNATURE = "awaiting_signature"
SIGNER_SIGNED = "signer_signed"
ISSUED = "issued"
STATES = (DRAFT, AWAITING_SIGNATURE, SIGNER_SIGNED, ISSUED)
#: The states of a notice in its signer's hands or signed by them: its text is frozen.
WITH_SIGNER = (AWAITING_SIGNATURE, SIGNER_SIGNED)
#: The most paragraphs a notice's body may have.
MAX_POINTS = 500


def require_draft(state: str) -> None:
    """Only a draft's text changes: an issued notice never (``notice_issued``), nor one
    handed to its signer (``notice_awaiting_signature``) or signed by them
    (``notice_signer_signed``) until the office withdraws it."""
    if state == ISSUED:
        raise Conflict("notice_issued")
    if state == AWAITING_SIGNATURE:
        raise Conflict("notice_awaiting_signature")
    if state == SIGNER_SIGNED:
        raise Conflict("notice_signer_signed")


def parse_signature(data: Any, fmt: nd.NoticeFormat, field: str) -> nd.SignatureBlock:
    """A signature block from JSON (``signer_title``, ``signer_name``, ``authorities``).

    Raises ``InvalidInput("notice_setting_invalid", field=...)`` naming the bad value
    under ``field``, or ``notice_authority_invalid`` for an authority the format lacks.
    """
    if not isinstance(data, Mapping) or set(data) - {"signer_title", "signer_name", "authorities"}:
        raise InvalidInput("notice_setting_invalid", field=field)
    authorities = []
    for i, line in enumerate(data.get("authorities") or ()):
        if (
            not isinstance(line, Mapping)
            or set(line) != {"authority", "of"}
            or not isinstance(line["of"], str)
        ):
            raise InvalidInput("notice_setting_invalid", field=f"{field}.authorities[{i}]")
        try:
            authority = nd.Authority(line["authority"])
        except ValueError:
            raise InvalidInput(
                "notice_setting_invalid", field=f"{field}.authorities[{i}].authority"
            ) from None
        nd.authority_prefix(fmt, authority)  # "TUQ." exists only in the State format
        if not normalize(line["of"]):
            raise InvalidInput("notice_setting_invalid", field=f"{field}.authorities[{i}].of")
        authorities.append(nd.AuthorityLine(authority, normalize(line["of"])))
    title, name = data.get("signer_title", ""), data.get("signer_name", "")
    if not isinstance(title, str) or not normalize(title):
        raise InvalidInput("notice_setting_invalid", field=f"{field}.signer_title")
    if not isinstance(name, str) or not normalize(name):
        raise InvalidInput("notice_setting_invalid", field=f"{field}.signer_name")
    return nd.SignatureBlock(normalize(title), normalize(name), tuple(authorities))


def signature_json(block: nd.SignatureBlock) -> dict[str, Any]:
    return {
        "signer_title": block.signer_title,
        "signer_name": block.signer_name,
        "authorities": [{"authority": a.authority.value, "of": a.of} for a in block.authorities],
    }


@dataclass(frozen=True)
class PointText:
    """A paragraph of the body as the editor sends it; the server numbers them."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class DraftChanges:
    """Fields of a draft to replace; ``None`` leaves a field as it is."""

    summary: str | None = None
    opening: str | None = None
    points: tuple[PointText, ...] | None = None
    vote_sentences: tuple[str, ...] | None = None
    closing: str | None = None
    recipients: tuple[str, ...] | None = None
    file_copy: str | None = None
    place: str | None = None
    signature: Mapping[str, Any] | None = None
    secret: bool | None = None


def number_points(points: Sequence[PointText]) -> tuple[nd.NumberedPoint, ...]:
    """Number the body's paragraphs as the drafter does: "1.", "2.", … without headings;
    with headings (one per agenda item), "1." for a heading and "1.1.", "1.2.", … under
    it, so the first paragraph must then be a heading.

    Raises ``InvalidInput("notice_draft_invalid", field="points[i]...")``.
    """
    if len(points) > MAX_POINTS:
        raise InvalidInput("notice_draft_invalid", field="points")
    headed = any(p.heading for p in points)
    if headed and not points[0].heading:
        raise InvalidInput("notice_draft_invalid", field="points[0].heading")
    out: list[nd.NumberedPoint] = []
    major = minor = 0
    for i, point in enumerate(points):
        text = normalize(point.text)
        if not text:
            raise InvalidInput("notice_draft_invalid", field=f"points[{i}].text")
        if point.heading:
            major, minor = major + 1, 0
            out.append(nd.NumberedPoint(f"{major}.", text, heading=True))
        elif headed:
            minor += 1
            out.append(nd.NumberedPoint(f"{major}.{minor}.", text))
        else:
            major += 1
            out.append(nd.NumberedPoint(f"{major}.", text))
    return tuple(out)


def _lines(values: Sequence[str], field: str) -> tuple[str, ...]:
    out = tuple(normalize(v) for v in values)
    for i, line in enumerate(out):
        if not line:
            raise InvalidInput("notice_draft_invalid", field=f"{field}[{i}]")
    return out


def apply_changes(draft: nd.NoticeDraft, changes: DraftChanges) -> nd.NoticeDraft:
    """The draft with the changes, checked like a new draft (summary required, the
    signature's authorities valid in the format...)."""
    fields: dict[str, Any] = {}
    for name in ("summary", "opening", "closing", "file_copy", "place"):
        value = getattr(changes, name)
        if value is not None:
            fields[name] = normalize(value)
    if changes.place is not None and not fields["place"]:
        raise InvalidInput("notice_draft_invalid", field="place")
    if changes.file_copy is not None and not fields["file_copy"]:
        raise InvalidInput("notice_draft_invalid", field="file_copy")
    if changes.points is not None:
        fields["points"] = number_points(changes.points)
    if changes.vote_sentences is not None:
        fields["vote_sentences"] = _lines(changes.vote_sentences, "vote_sentences")
    if changes.recipients is not None:
        fields["recipients"] = _lines(changes.recipients, "recipients")
    if changes.signature is not None:
        try:
            fields["signature"] = parse_signature(changes.signature, draft.format, "signature")
        except InvalidInput as exc:
            if exc.code != "notice_setting_invalid":
                raise
            raise InvalidInput("notice_draft_invalid", **exc.params) from None
    return dataclasses.replace(draft, **fields)
