"""An issued notice as an edXML package for the state agencies' document systems.

The package carries the notice's metadata (number and symbol, date, issuer and its code,
signer, trích yếu, recipients) and the very PDF stored when it was issued (signed where
the body signs). Only an issued notice has one (``notice_not_issued``); a notice with
secret content has none (``notice_edxml_secret``): Quyết định 28/2018/QĐ-TTg does not
cover documents holding state secrets, which never travel over the exchange network.
"""

from __future__ import annotations

import io
from datetime import tzinfo

from pypdf import PdfReader

from phonghop.domain import notice as nd
from phonghop.domain.meeting import Classification
from phonghop.domain.notice_edits import ISSUED
from phonghop.domain.permissions import Actor
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, NotFound
from phonghop.notices.edxml import EdxmlNotice, Recipient, check_package, write_package
from phonghop.services.notices.reading import file_name, get_notice
from phonghop.services.notices.settings import load_body_config
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import NoticeFile


def _content(draft: nd.NoticeDraft) -> str:
    """The notice's text, one paragraph a line, as a document system shows it."""
    lines = [draft.opening]
    lines.extend(f"{p.label} {p.text}" for p in draft.points)
    lines.extend(draft.vote_sentences)
    lines.append(draft.closing)
    return "\n".join(normalize(line) for line in lines if line.strip())


def _competence(draft: nd.NoticeDraft) -> str:
    """The authority the signer signs with: "T/M Ban Thường vụ", "KT. Chủ tịch"."""
    lines = [f"{nd.authority_prefix(draft.format, a.authority)} {a.of}" for a in draft.signature.authorities]
    return ", ".join(normalize(line) for line in lines)


async def notice_package(uow: UnitOfWork, actor: Actor, notice_id: int, zone: tzinfo) -> tuple[bytes, str]:
    """The edXML package of an issued notice and its file name; office staff only.

    ``zone`` is the offices' time zone, in which the package gives the time of issue.
    The same notice gives the same bytes at every call.
    """
    notice, meeting = await get_notice(uow, actor, notice_id)
    if notice.state != ISSUED:
        raise Conflict("notice_not_issued")
    if notice.secret or meeting.classification != Classification.NORMAL.value:
        raise Conflict("notice_edxml_secret")
    body, config = await load_body_config(uow, notice.body_id)
    exchange = config.exchange
    if not exchange.agency_code:
        raise Conflict("notice_edxml_code_missing")
    stored = await uow.session.get(NoticeFile, (notice.id, "pdf"))
    if stored is None or notice.number is None or notice.issued_at is None:
        raise NotFound("notice_file_not_found")
    draft = nd.NoticeDraft.from_dict(notice.draft)
    places = tuple(normalize(r).rstrip(" ;,.") for r in draft.recipients if r.strip())
    recipients: list[Recipient] = []
    for place in places:
        code = exchange.code_of(place)
        if code and code not in {r.code for r in recipients}:
            recipients.append(Recipient(code, exchange.agency_of(place)))
    package = write_package(
        EdxmlNotice(
            agency_code=exchange.agency_code,
            agency_name=normalize(body.name),
            agency_in_charge=normalize(config.body.parent),
            number=notice.number,
            code_notation=nd.code_notation(draft.format, draft.symbol),
            place=draft.place,
            issue_date=draft.issue_date,
            issued_at=notice.issued_at.astimezone(zone),
            subject=normalize(draft.summary),
            content=_content(draft),
            signer_competence=_competence(draft),
            signer_position=normalize(draft.signature.signer_title),
            signer_name=normalize(draft.signature.signer_name),
            places=places,
            recipients=tuple(recipients),
            pdf=stored.content,
            pdf_name=file_name(notice, "pdf"),
            page_count=len(PdfReader(io.BytesIO(stored.content)).pages),
        )
    )
    problems = check_package(package)
    if problems:  # a bug of ours: never hand a document system a package it would refuse
        raise AssertionError(f"edXML package of notice {notice.id} fails its schema: {problems}")
    return package, file_name(notice, "edxml")
