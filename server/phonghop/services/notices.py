"""Conclusion notices (thông báo kết luận): drafted from a meeting, edited, numbered, issued.

The pure parts live elsewhere: the wording and the numbering rules in
:mod:`phonghop.domain.notice`, the layout, the files and the signature in
:mod:`phonghop.notices`. This module wires them to storage:

* **Settings.** An issuing body keeps its notice settings as JSON under
  ``IssuingBody.settings["notices"]`` (see :func:`settings_view` for the keys); they map to
  the domain's :class:`~phonghop.domain.notice.IssuingBody`,
  :class:`~phonghop.domain.notice.NoticeSettings` and default
  :class:`~phonghop.domain.notice.SignatureBlock`, and name the signing certificate.
* **Drafting.** :func:`draft_from_meeting` builds the
  :class:`~phonghop.domain.notice.MeetingRecord` from what the closed meeting recorded
  (chair, roll call, presenters, conclusions, closed polls) and stores the draft.
* **Issuing.** :func:`issue` gives the next number of the notice's sequence (Party: per
  term of the committee; State: per year, secret notices apart). The number comes from a
  counter row per (body, sequence), created with ``INSERT ... ON CONFLICT DO NOTHING`` and
  locked with ``SELECT ... FOR UPDATE`` until commit, in the same transaction that stores
  the number, the PDF and the DOCX: two app instances issuing at once queue on that row,
  and a failure after the number was taken rolls the counter back with everything else,
  so no number is given twice or skipped. The unique constraint on (body, sequence,
  number) is the last line of defence. An issued notice never changes again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from phonghop.domain import notice as nd
from phonghop.domain.meeting import Attendance, Classification, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, require_admin, require_office, require_same_body
from phonghop.domain.poll import MajorityBase, MajorityRule, OptionRole, PollOutcome, PollResult, PollType
from phonghop.domain.text import compare_key, fold, matches, normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PhonghopError, Unavailable
from phonghop.notices import build_document, sign_pdf, write_docx, write_pdf
from phonghop.notices._pyhanko import signers
from phonghop.realtime.protocol import AUDIENCE_CONTROLLERS
from phonghop.services import conclusions, followup, meetings, polls
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.services.polls import ClosedPollResult
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    IssuingBody,
    Meeting,
    Notice,
    NoticeCounter,
    NoticeFile,
    Participant,
    utcnow,
)

SETTINGS_KEY = "notices"
DRAFT = "draft"
ISSUED = "issued"
MAX_POINTS = 500

#: The last recipient line when the body has not set one: the file copy kept by the office.
_DEFAULT_FILE_COPY = {nd.NoticeFormat.PARTY: "Lưu Văn phòng", nd.NoticeFormat.STATE: "Lưu: VT."}
#: How the opening names the members present: "13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy".
_DEFAULT_MEMBER_LABEL = {nd.NoticeFormat.PARTY: "Ủy viên {body}", nd.NoticeFormat.STATE: "thành viên {body}"}
#: The reason written into the PAdES signature when the body sets none.
_DEFAULT_SIGNING_REASON = "Ban hành thông báo kết luận"


# -- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningConfig:
    """Where the body's signing certificate is: a PKCS#12 file on the server, and its
    passphrase in an environment variable or a file (neither: an unencrypted file)."""

    pkcs12_path: str
    passphrase_env: str = ""
    passphrase_file: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BodyConfig:
    """An issuing body's notice settings as the domain needs them."""

    body: nd.IssuingBody
    settings: nd.NoticeSettings
    member_label: str
    signing: SigningConfig | None


def _fmt(body: IssuingBody) -> nd.NoticeFormat:
    try:
        return nd.NoticeFormat(body.notice_format)
    except ValueError:
        raise InvalidInput("notice_setting_invalid", field="format") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    """A one-line text setting; the header name keeps its explicit line breaks."""
    value = data.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput("notice_setting_invalid", field=key)
    if key == "header_name":
        return "\n".join(normalize(line) for line in value.split("\n") if normalize(line))
    return normalize(value)


def _signature(data: Any, fmt: nd.NoticeFormat, field: str) -> nd.SignatureBlock:
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


def _signing(data: Any) -> SigningConfig | None:
    if data is None:
        return None
    keys = {"pkcs12_path", "passphrase_env", "passphrase_file", "reason"}
    if (
        not isinstance(data, Mapping)
        or set(data) - keys
        or not all(isinstance(v, str) for v in data.values())
    ):
        raise InvalidInput("notice_setting_invalid", field="signing")
    config = SigningConfig(**{k: v.strip() for k, v in data.items()})
    if not Path(config.pkcs12_path).is_absolute():
        raise InvalidInput("notice_setting_invalid", field="signing.pkcs12_path")
    if config.passphrase_file and not Path(config.passphrase_file).is_absolute():
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_file")
    if config.passphrase_env and config.passphrase_file:
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_file")
    if config.passphrase_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", config.passphrase_env):
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_env")
    return config


_SETTING_KEYS = {
    "layout",
    "header_name",
    "parent_name",
    "sentence_name",
    "place",
    "file_copy",
    "member_label",
    "term_start",
    "recipients",
    "signature",
    "signing",
}


async def _parent_name(uow: UnitOfWork, body: IssuingBody) -> str:
    if body.parent_id is None:
        return ""
    parent = await uow.session.get(IssuingBody, body.parent_id)
    return parent.name if parent is not None else ""


def body_config(body: IssuingBody, data: Mapping[str, Any], parent_name: str = "") -> BodyConfig:
    """Map stored settings to the domain objects, checking every value.

    Raises ``InvalidInput`` with ``notice_setting_invalid`` (``field``),
    ``notice_body_invalid`` (an empty name, symbol, place...) or
    ``notice_authority_invalid``.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("notice_setting_invalid", field="")
    unknown = sorted(set(data) - _SETTING_KEYS)
    if unknown:
        raise InvalidInput("notice_setting_invalid", field=unknown[0])
    fmt = _fmt(body)
    layout = data.get("layout") or {}
    if not isinstance(layout, Mapping) or "format" in layout:
        raise InvalidInput(
            "notice_setting_invalid", field="layout.format" if "format" in layout else "layout"
        )
    settings = nd.NoticeSettings.from_dict({**layout, "format": fmt.value})
    term = data.get("term_start")
    try:
        term_start = date.fromisoformat(term) if term is not None else None
    except (TypeError, ValueError):
        raise InvalidInput("notice_setting_invalid", field="term_start") from None
    recipients = data.get("recipients") or []
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise InvalidInput("notice_setting_invalid", field="recipients")
    signature = data.get("signature")
    sentence_name = _text(data, "sentence_name") or body.short_name or body.name
    domain_body = nd.IssuingBody(
        name=_text(data, "header_name") or body.name,
        symbol=body.symbol,
        place=_text(data, "place") or body.place,
        sentence_name=sentence_name,
        file_copy=_text(data, "file_copy") or _DEFAULT_FILE_COPY[fmt],
        parent=_text(data, "parent_name") or parent_name,
        term_start=term_start,
        default_recipients=tuple(normalize(r) for r in recipients if normalize(r)),
        default_signature=None if signature is None else _signature(signature, fmt, "signature"),
    )
    member_label = _text(data, "member_label") or _DEFAULT_MEMBER_LABEL[fmt].format(body=sentence_name)
    return BodyConfig(domain_body, settings, member_label, _signing(data.get("signing")))


async def load_body_config(uow: UnitOfWork, body_id: int) -> tuple[IssuingBody, BodyConfig]:
    body = await uow.session.get(IssuingBody, body_id)
    if body is None:
        raise NotFound("body_not_found")
    stored = (body.settings or {}).get(SETTINGS_KEY) or {}
    return body, body_config(body, stored, await _parent_name(uow, body))


def _signing_key(config: SigningConfig) -> tuple[bytes, str | None]:
    """The PKCS#12 bytes and passphrase; ``Unavailable("notice_signing_unavailable")``
    when the file cannot be read or the passphrase is not where the settings say."""
    try:
        pkcs12 = Path(config.pkcs12_path).read_bytes()
    except OSError:
        raise Unavailable("notice_signing_unavailable", reason="certificate_unreadable") from None
    if config.passphrase_env:
        passphrase = os.environ.get(config.passphrase_env)
        if passphrase is None:
            raise Unavailable("notice_signing_unavailable", reason="passphrase_env_unset")
        return pkcs12, passphrase
    if config.passphrase_file:
        try:
            return pkcs12, Path(config.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise Unavailable("notice_signing_unavailable", reason="passphrase_file_unreadable") from None
    return pkcs12, None


def check_signing(config: SigningConfig) -> None:
    """Load the key once, as issuing would: a wrong passphrase or a file that is not
    PKCS#12 raises ``InvalidInput("notice_signing_key_invalid")``."""
    pkcs12, passphrase = _signing_key(config)
    secret = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=secret)
    except (ValueError, TypeError):
        raise InvalidInput("notice_signing_key_invalid") from None


def settings_view(body: IssuingBody, config: BodyConfig) -> dict[str, Any]:
    """The body's notice settings with every default filled in, as the API shows them.

    ``format``, ``symbol`` and the body's own ``name`` come from the body (read only).
    """
    b, s = config.body, config.settings
    layout = s.to_dict()
    layout.pop("format")
    return {
        "format": s.format.value,
        "symbol": b.symbol,
        "layout": layout,
        "header_name": b.name,
        "parent_name": b.parent,
        "sentence_name": b.sentence_name,
        "place": b.place,
        "file_copy": b.file_copy,
        "member_label": config.member_label,
        "term_start": b.term_start.isoformat() if b.term_start else None,
        "recipients": list(b.default_recipients),
        "signature": None if b.default_signature is None else signature_json(b.default_signature),
        "signing": None if config.signing is None else dataclasses.asdict(config.signing),
    }


def signature_json(block: nd.SignatureBlock) -> dict[str, Any]:
    return {
        "signer_title": block.signer_title,
        "signer_name": block.signer_name,
        "authorities": [{"authority": a.authority.value, "of": a.of} for a in block.authorities],
    }


def signing_status(config: BodyConfig) -> str | None:
    """None without a certificate; "ok" when it loads; else the error code issuing would get."""
    if config.signing is None:
        return None
    try:
        check_signing(config.signing)
    except PhonghopError as exc:
        return exc.code
    return "ok"


async def get_settings(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The body's notice settings (office staff and administrators), with the state of the
    signing certificate in ``signing_status``."""
    require_office(actor)
    body, config = await load_body_config(uow, actor.body_id)
    return {**settings_view(body, config), "signing_status": signing_status(config)}


async def put_settings(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the body's notice settings (administrators only), after checking them all,
    the signing certificate included (it must load with its passphrase)."""
    require_admin(actor)
    body = await uow.session.get(IssuingBody, actor.body_id)
    if body is None:
        raise NotFound("body_not_found")
    stored = dict(data)
    config = body_config(body, stored, await _parent_name(uow, body))
    if config.signing is not None:
        check_signing(config.signing)
    body.settings = {**(body.settings or {}), SETTINGS_KEY: stored}
    record_audit(uow, actor, "notice_settings.updated", target_type="body", target_id=body.id)
    return {**settings_view(body, config), "signing_status": signing_status(config)}


# -- votes ---------------------------------------------------------------------------------------


_RULE_WORDS = {
    MajorityRule.MORE_THAN_HALF_OF_MEMBERS: "quá nửa tổng số thành viên",
    MajorityRule.MORE_THAN_HALF_OF_PRESENT: "quá nửa số thành viên có mặt",
    MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS: "quá nửa số phiếu hợp lệ",
    MajorityRule.TWO_THIRDS_OF_MEMBERS: "ít nhất hai phần ba tổng số thành viên",
    MajorityRule.TWO_THIRDS_OF_PRESENT: "ít nhất hai phần ba số thành viên có mặt",
}


def rule_words(result: PollResult) -> str:
    """The poll's rule in words for "Đối chiếu quy định (…)": "quá nửa tổng số thành viên
    tán thành"; a poll without quorum says so."""
    words = _RULE_WORDS[result.spec.majority]
    approve = result.spec.option_of_role(OptionRole.APPROVE)
    rule = f"{words} {approve.label.lower()}" if approve is not None else f"phương án được {words} lựa chọn"
    if result.outcome is PollOutcome.NOT_VALID:
        rule += "; không đủ số thành viên có mặt theo quy định"
    return rule


def recorded_vote(title: str, result: PollResult) -> tuple[nd.RecordedVote | None, str]:
    """A closed poll as the notice reports it, or ``None`` and why not.

    Every option with its count, against the base of the poll's majority rule (members,
    members present or valid ballots) and its label ("tổng số", "số có mặt", "số phiếu
    hợp lệ"); passed as the poll decided. Left out, with a reason: elections (personnel
    votes are not reported in a conclusion notice, and candidates' names would read as
    options), a base of zero, and a count above its base (which no percentage can state).
    """
    if result.spec.type is PollType.ELECTION:
        return None, "election"
    base = result.base_total
    if base < 1:
        return None, "base_empty"
    if any(c.votes > base for c in result.counts):
        return None, "count_exceeds_base"
    subject = normalize(title)
    subject = "về" + subject[2:] if subject.casefold().startswith("về ") else f"về {subject}"
    vote = nd.RecordedVote(
        subject=subject,
        options=tuple(nd.VoteOption(c.option.label, c.votes) for c in result.counts),
        base_count=base,
        rule=rule_words(result),
        passed=result.passed,
        base_label=result.spec.majority.base.label_vi,
        unit="phiếu" if result.spec.majority.base is MajorityBase.VALID_BALLOTS else "đồng chí",
    )
    return vote, ""


def recorded_votes(
    closed: Sequence[ClosedPollResult], item_order: Mapping[int, int]
) -> tuple[tuple[nd.RecordedVote, ...], list[dict[str, Any]]]:
    """The reportable votes in agenda order (polls without an item last), and a warning
    for each poll left out."""
    ordered = sorted(
        enumerate(closed),
        key=lambda ip: (item_order.get(ip[1].agenda_item_id or -1, len(item_order)), ip[0]),
    )
    votes, warnings = [], []
    for _, poll in ordered:
        vote, reason = recorded_vote(poll.title, poll.result)
        if vote is None:
            warnings.append({"code": f"vote_omitted_{reason}", "params": {"poll": poll.title}})
        else:
            votes.append(vote)
    return tuple(votes), warnings


# -- drafting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftOptions:
    """What the office says when it asks for a draft.

    ``presiding_participant_id``: who chaired when the chair was marked absent (required
    then, refused otherwise). ``subject``: what the meeting was about ("về …"), for the
    summary line. ``attendance_groups``: the other attendees as written, instead of the
    non-voting participants present. ``secret``: secret content (default: the meeting's
    classification).
    """

    presiding_participant_id: int | None = None
    subject: str = ""
    attendance_groups: tuple[str, ...] | None = None
    secret: bool | None = None


def _warning(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def _person(p: Participant, warnings: list[dict[str, Any]]) -> nd.Person:
    if not p.title.strip():
        warnings.append(_warning("title_missing", name=p.full_name))
    return nd.Person(p.full_name, p.title)


def _presiding(
    parts: list[Participant], presiding_id: int | None, warnings: list[dict[str, Any]]
) -> tuple[nd.Person, bool, nd.Person | None]:
    """The chair, whether they were absent, and who presided instead."""
    chair = next((p for p in parts if p.role == MeetingRole.CHAIR.value), None)
    if chair is None:
        raise Conflict("notice_chair_missing")
    absent = chair.attendance == Attendance.ABSENT.value
    if not absent:
        if presiding_id is not None and presiding_id != chair.id:
            raise Conflict("notice_chair_present", name=chair.full_name)
        return _person(chair, warnings), False, None
    if presiding_id is None:
        raise Conflict("notice_presiding_required", name=chair.full_name)
    deputy = next((p for p in parts if p.id == presiding_id), None)
    if deputy is None:
        raise NotFound("participant_not_found")
    if deputy.attendance == Attendance.ABSENT.value:
        raise Conflict("notice_presiding_absent", name=deputy.full_name)
    return nd.Person(chair.full_name, chair.title), True, _person(deputy, warnings)


def _attendance(
    meeting: Meeting,
    parts: list[Participant],
    member_label: str,
    groups: tuple[str, ...] | None,
    warnings: list[dict[str, Any]],
) -> nd.Attendance | None:
    """Voting members present out of the body's members (``members_total``, else the
    voting members listed), the absent ones with their reasons, and the other attendees."""
    if all(p.attendance == Attendance.UNKNOWN.value for p in parts):
        warnings.append(_warning("attendance_not_recorded"))
        return None
    voting = [p for p in parts if p.voting_member]
    present = sum(1 for p in voting if Attendance(p.attendance).is_present)
    total = meeting.members_total or len(voting)
    absentees = tuple(
        nd.Absentee(p.full_name, p.absence_reason) for p in voting if p.attendance == Attendance.ABSENT.value
    )
    if total < 1 or present > total or len(absentees) > total - present:
        warnings.append(_warning("attendance_inconsistent", present=present, total=total))
        return None
    if groups is None:
        groups = tuple(
            f"đồng chí {p.full_name}, {p.title}" if p.title.strip() else f"đồng chí {p.full_name}"
            for p in parts
            if not p.voting_member and Attendance(p.attendance).is_present
        )
    return nd.Attendance(
        present, total, member_label, tuple(normalize(g) for g in groups if normalize(g)), absentees
    )


async def meeting_record(
    uow: UnitOfWork, meeting: Meeting, config: BodyConfig, options: DraftOptions, meeting_date: date
) -> tuple[nd.MeetingRecord, list[dict[str, Any]]]:
    """What the meeting recorded, as the notice needs it, and what could not be used.

    ``meeting`` must be loaded with its participants and agenda.
    """
    warnings: list[dict[str, Any]] = []
    parts = sorted(meeting.participants, key=lambda p: (p.position, p.id))
    chair, chair_absent, deputy = _presiding(parts, options.presiding_participant_id, warnings)
    attendance = _attendance(meeting, parts, config.member_label, options.attendance_groups, warnings)
    items = conclusions.agenda_order(meeting.agenda_items)
    heard: list[str] = []
    for item in items:
        if item.presenter.strip() and compare_key(item.presenter) not in {compare_key(h) for h in heard}:
            heard.append(item.presenter)
    rows = await conclusions.by_item(uow, meeting.id)
    agenda: list[nd.AgendaItem] = []
    for top in (i for i in items if i.parent_id is None):
        points: list[nd.ConclusionPoint] = []
        for item in (i for i in items if i.id == top.id or i.parent_id == top.id):
            if item.id in rows:
                points.extend(conclusions.domain_points(rows[item.id]))
        if points:
            agenda.append(nd.AgendaItem(top.title, tuple(points)))
    if not agenda:
        warnings.append(_warning("conclusions_missing"))
    order = {item.id: index for index, item in enumerate(items)}
    votes, vote_warnings = recorded_votes(await polls.closed_poll_results(uow, meeting.id), order)
    warnings.extend(vote_warnings)
    record = nd.MeetingRecord(
        meeting_date=meeting_date,
        chair=chair,
        location=meeting.location,
        subject=normalize(options.subject),
        chair_absent=chair_absent,
        deputy_chair=deputy,
        attendance=attendance,
        heard=tuple(heard),
        agenda_items=tuple(agenda),
        votes=votes,
    )
    return record, warnings


async def draft_from_meeting(
    uow: UnitOfWork, actor: Actor, meeting_id: int, options: DraftOptions, *, today: date, tz: tzinfo
) -> Notice:
    """A new draft notice from a closed meeting (office staff of the meeting's body).

    ``today`` is the draft's date (the date of issue replaces it); ``tz`` the offices'
    time zone, in which the meeting's date is read. Several drafts of one meeting may
    exist (a correction is a new notice).
    """
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    if meeting.state != MeetingState.CLOSED.value:
        raise Conflict("notice_meeting_not_closed", state=meeting.state)
    _, config = await load_body_config(uow, meeting.body_id)
    meeting_date = meeting.starts_at.astimezone(tz).date()
    record, warnings = await meeting_record(uow, meeting, config, options, meeting_date)
    draft = nd.draft_notice(record, config.body, config.settings, today)
    secret = options.secret
    if secret is None:
        secret = Classification(meeting.classification).is_classified
    notice = Notice(
        body_id=meeting.body_id,
        meeting_id=meeting.id,
        state=DRAFT,
        secret=secret,
        draft=draft.to_dict(),
        summary=draft.summary,
        number_label="",
        warnings=warnings,
        signed=False,
        created_by=actor.user_id,
    )
    uow.session.add(notice)
    await uow.session.flush()
    record_audit(
        uow, actor, "notice.drafted", target_type="notice", target_id=notice.id, meeting_id=meeting.id
    )
    return notice


# -- editing -------------------------------------------------------------------------------------


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
            fields["signature"] = _signature(changes.signature, draft.format, "signature")
        except InvalidInput as exc:
            if exc.code != "notice_setting_invalid":
                raise
            raise InvalidInput("notice_draft_invalid", **exc.params) from None
    return dataclasses.replace(draft, **fields)


async def _lock_notice(uow: UnitOfWork, actor: Actor, notice_id: int) -> Notice:
    """The notice, locked until commit (two offices issuing it at once queue here)."""
    require_office(actor)
    notice = await uow.session.scalar(
        select(Notice)
        .where(Notice.id == notice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if notice is None:
        raise NotFound("notice_not_found")
    require_same_body(actor, notice.body_id, "notice")
    return notice


async def update_draft(uow: UnitOfWork, actor: Actor, notice_id: int, changes: DraftChanges) -> Notice:
    """Edit a draft's structured fields; an issued notice is refused (``notice_issued``)."""
    notice = await _lock_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        raise Conflict("notice_issued")
    draft = apply_changes(nd.NoticeDraft.from_dict(notice.draft), changes)
    notice.draft = draft.to_dict()
    notice.summary = draft.summary
    if changes.secret is not None:
        notice.secret = changes.secret
    notice.updated_at = utcnow()
    await uow.session.flush()
    return notice


async def delete_draft(uow: UnitOfWork, actor: Actor, notice_id: int) -> None:
    """Discard a draft; an issued notice is kept for ever (``notice_issued``)."""
    notice = await _lock_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        raise Conflict("notice_issued")
    await uow.session.delete(notice)
    record_audit(uow, actor, "notice.deleted", target_type="notice", target_id=notice_id)


# -- issuing -------------------------------------------------------------------------------------

#: reportlab keeps per-document font state in module globals: one layout at a time per
#: process (notices and the printed invitations), off the event loop.
RENDER_LOCK = threading.Lock()


def _render(draft: nd.NoticeDraft, config: BodyConfig, kinds: tuple[str, ...]) -> dict[str, bytes]:
    with RENDER_LOCK:
        doc = build_document(draft, config.body, config.settings)
        writers = {"pdf": write_pdf, "docx": write_docx}
        return {kind: writers[kind](doc) for kind in kinds}


async def render(draft: nd.NoticeDraft, config: BodyConfig, *kinds: str) -> dict[str, bytes]:
    """The draft laid out as PDF and/or DOCX, in a worker thread."""
    return await asyncio.to_thread(_render, draft, config, kinds)


async def next_number(uow: UnitOfWork, body_id: int, sequence_key: str) -> int:
    """The next number of a sequence, counted in this transaction.

    The counter row is created if missing (``INSERT ... ON CONFLICT DO NOTHING``: a
    concurrent creator waits for the first and then does nothing), then locked with
    ``SELECT ... FOR UPDATE`` until commit (SQLite has a single writer).
    """
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    await uow.session.execute(
        insert(NoticeCounter)
        .values(body_id=body_id, sequence_key=sequence_key, last_number=0)
        .on_conflict_do_nothing(index_elements=["body_id", "sequence_key"])
    )
    counter = await uow.session.scalar(
        select(NoticeCounter)
        .where(NoticeCounter.body_id == body_id, NoticeCounter.sequence_key == sequence_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None  # inserted above or by a committed transaction
    counter.last_number += 1
    await uow.session.flush()
    return counter.last_number


def _file(notice_id: int, kind: str, content: bytes) -> NoticeFile:
    return NoticeFile(
        notice_id=notice_id,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
    )


async def issue(uow: UnitOfWork, actor: Actor, notice_id: int, *, today: date) -> Notice:
    """Number, date, lay out, sign where configured, and freeze a draft.

    The date of issue is ``today``; the number is the next of the notice's sequence (see
    the module notes). The signing key is loaded before the number is taken; a body whose
    settings name a certificate that cannot be used gets an error, never an unsigned notice.
    """
    notice = await _lock_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        raise Conflict("notice_issued")
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    key = nd.numbering_sequence(draft.format, config.body, today, secret=notice.secret)
    signing_key = _signing_key(config.signing) if config.signing is not None else None
    number = await next_number(uow, notice.body_id, key)
    issued = nd.issue_notice(draft, number, today)
    files = await render(issued, config, "pdf", "docx")
    if signing_key is not None and config.signing is not None:
        reason = config.signing.reason or _DEFAULT_SIGNING_REASON
        files["pdf"] = await asyncio.to_thread(
            sign_pdf, files["pdf"], signing_key[0], signing_key[1], reason=reason, location=config.body.place
        )
    notice.state = ISSUED
    notice.draft = issued.to_dict()
    notice.summary = issued.summary
    notice.number = number
    notice.number_label = issued.number_line
    notice.sequence_key = key
    notice.issue_date = today
    notice.issued_at = utcnow()
    notice.issued_by = actor.user_id
    notice.signed = signing_key is not None
    uow.session.add_all([_file(notice.id, kind, content) for kind, content in files.items()])
    try:
        await uow.session.flush()
    except IntegrityError:
        raise Conflict("notice_number_conflict") from None
    await followup.create_tasks(uow, notice)  # the conclusion points to follow up, same transaction
    record_audit(
        uow,
        actor,
        "notice.issued",
        target_type="notice",
        target_id=notice.id,
        number=number,
        sequence_key=key,
        signed=notice.signed,
        pdf_sha256=hashlib.sha256(files["pdf"]).hexdigest(),
    )
    await append_event(
        uow,
        notice.meeting_id,
        "notice.issued",
        {
            "notice_id": notice.id,
            "number": number,
            "number_label": notice.number_label,
            "summary": notice.summary,
            "issue_date": today.isoformat(),
        },
        actor=actor,
        audience=AUDIENCE_CONTROLLERS,
    )
    return notice


# -- reading -------------------------------------------------------------------------------------


async def get_notice(uow: UnitOfWork, actor: Actor, notice_id: int) -> tuple[Notice, Meeting]:
    """A notice of the actor's body and its meeting; office staff only."""
    require_office(actor)
    notice = await uow.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("notice_not_found")
    require_same_body(actor, notice.body_id, "notice")
    meeting = await uow.session.get(Meeting, notice.meeting_id)
    assert meeting is not None  # a meeting with notices cannot be deleted
    return notice, meeting


def file_name(notice: Notice, kind: str) -> str:
    """ "thong-bao-12-TB-TU.pdf" for an issued notice, "du-thao-thong-bao-7.pdf" for a draft."""
    if notice.state != ISSUED:
        return f"du-thao-thong-bao-{notice.id}.{kind}"
    label = fold(notice.number_label.removeprefix("Số:").removeprefix("Số"))
    slug = re.sub(r"[^a-z0-9]+", "-", label).strip("-")
    return f"thong-bao-{slug}.{kind}"


async def notice_file(uow: UnitOfWork, actor: Actor, notice_id: int, kind: str) -> tuple[bytes, str]:
    """The notice's PDF or DOCX and a file name: the stored bytes of an issued notice
    (the same bytes at every download), or a draft laid out now, without a number."""
    if kind not in ("pdf", "docx"):
        raise NotFound("notice_file_not_found")
    notice, _meeting = await get_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        stored = await uow.session.get(NoticeFile, (notice.id, kind))
        if stored is None:
            raise NotFound("notice_file_not_found")
        return stored.content, file_name(notice, kind)
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    files = await render(draft, config, kind)
    return files[kind], file_name(notice, kind)


async def file_info(uow: UnitOfWork, notice_id: int) -> dict[str, Any]:
    rows = await uow.session.execute(
        select(NoticeFile.kind, NoticeFile.sha256, NoticeFile.size).where(NoticeFile.notice_id == notice_id)
    )
    return {kind: {"sha256": sha, "size": size} for kind, sha, size in rows}


async def list_notices(
    uow: UnitOfWork,
    actor: Actor,
    *,
    query: str = "",
    state: str | None = None,
    meeting_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Notice, Meeting]], int]:
    """The body's notices, newest first, each with its meeting.

    ``query`` is searched in the number line, the summary and the meeting's title,
    without regard to diacritics when typed without them ("ket luan" finds "kết luận")
    and to tone-mark placement ("hoà" finds "hòa").
    """
    require_office(actor)
    stmt = (
        select(Notice, Meeting)
        .join(Meeting, Meeting.id == Notice.meeting_id)
        .where(Notice.body_id == actor.body_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    )
    if state is not None:
        stmt = stmt.where(Notice.state == state)
    if meeting_id is not None:
        stmt = stmt.where(Notice.meeting_id == meeting_id)
    query = normalize(query)
    if not query:
        total = await uow.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        result = await uow.session.execute(stmt.limit(limit).offset(offset))
        return [(row[0], row[1]) for row in result], int(total or 0)
    found = [
        (n, m)
        for n, m in ((row[0], row[1]) for row in await uow.session.execute(stmt))
        if matches(query, f"{n.number_label} {n.summary} {m.title}")
    ]
    return found[offset : offset + limit], len(found)
