"""The demo: a fictitious provincial party committee, its standing committee and one
meeting ready to run, today, starting soon. Running it twice reuses what the first run
created; ``--reset`` makes a new demo meeting. The body's notices are signed with a demo
test certificate made here (every name in it says DEMO), so the story reaches an issued,
signed notice with no administrator step."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select

from phonghop import clock
from phonghop.config import Settings
from phonghop.demo.documents import SampleDocument, sample_documents
from phonghop.demo.pki import root_ca, signer_certificate, x509_name
from phonghop.documents.inspection import PdfInfo, inspect_pdf_async
from phonghop.documents.intake import StoredBlob, store_upload
from phonghop.domain.meeting import Classification, MeetingAction, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.services import documents, followup, meetings, notices
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import DEMO_FLAG, create_body
from phonghop.services.documents import DocumentFields
from phonghop.services.identity import sign_in_with
from phonghop.services.meetings import AgendaFields, MeetingFields, ParticipantFields
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import IssuingBody, Meeting, Participant, User

DEMO_BODY = "TỈNH ỦY SÔNG LAM"
DEMO_PASSWORD = "phonghop-demo"

STAFF = [
    # username, full name, title, account role, meeting role
    ("vanphong", "Lê Thị Thu Hà", "Chuyên viên Văn phòng Tỉnh ủy", UserRole.OFFICE, None),
    ("thuky", "Phạm Minh Tuấn", "Phó Chánh Văn phòng Tỉnh ủy", UserRole.MEMBER, MeetingRole.SECRETARY),
    ("bithu", "Nguyễn Văn Thành", "Bí thư Tỉnh ủy", UserRole.MEMBER, MeetingRole.CHAIR),
]
DELEGATES = [
    ("Trần Quốc Hưng", "Phó Bí thư Thường trực Tỉnh ủy"),
    ("Võ Thị Minh Nguyệt", "Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh"),
    ("Đặng Văn Lực", "Ủy viên Ban Thường vụ, Chủ tịch HĐND tỉnh"),
    ("Hoàng Thị Lan", "Ủy viên Ban Thường vụ, Trưởng Ban Tổ chức Tỉnh ủy"),
    ("Bùi Đức Thắng", "Ủy viên Ban Thường vụ, Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy"),
    ("Ngô Thanh Sơn", "Ủy viên Ban Thường vụ, Trưởng Ban Tuyên giáo và Dân vận"),
    ("Lý Thị Hồng Nhung", "Ủy viên Ban Thường vụ, Trưởng Ban Nội chính Tỉnh ủy"),
    ("Đỗ Minh Khoa", "Ủy viên Ban Thường vụ, Chỉ huy trưởng Bộ Chỉ huy Quân sự tỉnh"),
    ("Phan Văn Tài", "Ủy viên Ban Thường vụ, Giám đốc Công an tỉnh"),
    ("Trịnh Thị Mai", "Ủy viên Ban Thường vụ, Phó Chủ tịch Thường trực UBND tỉnh"),
    ("Vũ Hoàng Nam", "Ủy viên Ban Thường vụ, Bí thư Thành ủy"),
    ("Lương Văn Quang", "Ủy viên Ban Thường vụ, Chánh Văn phòng Tỉnh ủy"),
]
#: The body's units (đơn vị): the lead units of conclusions, the authors of drafts.
UNITS = [
    ("Ban Tổ chức Tỉnh ủy", "BTC"),
    ("Ban Tuyên giáo và Dân vận Tỉnh ủy", "BTGDV"),
    ("Văn phòng UBND tỉnh", "VP UBND"),
    ("Sở Nội vụ", "SNV"),
]
#: A clerk of a unit: submits its drafts, reports on its tasks (username, name, title, unit).
UNIT_CLERK = ("bantochuc", "Đinh Thị Hòa", "Chuyên viên Ban Tổ chức Tỉnh ủy", "Ban Tổ chức Tỉnh ủy")

AGENDA = [
    ("Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027", "Đồng chí Võ Thị Minh Nguyệt", 40),
    ("Báo cáo tình hình giải ngân vốn đầu tư công 11 tháng năm 2026", "Đồng chí Trịnh Thị Mai", 30),
    ("Dự thảo Nghị quyết về chuyển đổi số tỉnh Sông Lam đến năm 2030", "Đồng chí Ngô Thanh Sơn", 45),
    ("Báo cáo công tác xây dựng Đảng năm 2026", "Đồng chí Hoàng Thị Lan", 30),
]


#: The notice's signer in the demo: the chair, signing on behalf of the standing committee.
DEMO_SIGNATURE = {
    "signer_title": "Bí thư",
    "signer_name": "Nguyễn Văn Thành",
    "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
}
DEMO_RECIPIENTS = ["Ban Bí thư (để báo cáo)", "Các đồng chí Tỉnh ủy viên", "Các sở, ban, ngành liên quan"]
#: The demo body's agency code for its edXML packages: no province has the number 99.
DEMO_AGENCY_CODE = "000.00.00.H99"
#: The signing reason written into every demo signature: nobody mistakes it for a real one.
DEMO_SIGNING_REASON = "DEMO phonghop: chữ ký thử nghiệm, không có giá trị pháp lý"
#: The demo certificate's lifetime; a missing or expired one is made again on the next run.
DEMO_CERTIFICATE_DAYS = 730
#: A meeting that starts "soon": this far ahead, on a five-minute mark, on today's date.
STARTS_IN = timedelta(minutes=15)
LENGTH = timedelta(hours=3, minutes=30)
ENDED = {MeetingState.CLOSED.value, MeetingState.CANCELLED.value}


@dataclass(frozen=True)
class Demo:
    body_id: int
    meeting_id: int
    join_code: str
    created: bool
    #: The meeting has been closed (or cancelled): ``--reset`` starts a new one.
    ended: bool = False
    #: (name, personal code) of each participant who joins a tablet with the code on the
    #: invitation (the chair and the secretary sign in with their accounts instead)
    personal_codes: tuple[tuple[str, str], ...] = ()


async def _personal_codes(uow: UnitOfWork, meeting_id: int) -> tuple[tuple[str, str], ...]:
    rows = await uow.session.scalars(
        select(Participant)
        .where(Participant.meeting_id == meeting_id)
        .order_by(Participant.position, Participant.id)
    )
    return tuple((p.full_name, p.personal_code or "") for p in rows if sign_in_with(p) == "code")


def demo_start(now: datetime) -> datetime:
    """When the demo meeting starts: about a quarter of an hour after ``now`` (aware, office
    time), on a five-minute mark. The meeting begins and ends on ``now``'s date, so the
    notice issued after it carries the meeting's own date: late in the evening it is a
    meeting that started earlier today."""
    soon = now + STARTS_IN
    start = soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0)
    latest = now.replace(hour=23, minute=55, second=0, microsecond=0) - LENGTH
    return min(start, latest)


def demo_certificate(path: Path, *, now: datetime) -> None:
    """Write a demo test certificate (a throwaway CA and a signer it issued, PKCS#12 without a
    passphrase, readable by the owner only) unless a valid one is already there. Every name
    in it says DEMO and that it has no legal value."""
    if path.is_file():
        try:
            _, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), None)
        except ValueError:
            cert = None
        if cert is not None and cert.not_valid_after_utc > now + timedelta(days=1):
            return

    def name(common_name: str) -> x509.Name:
        return x509_name(common_name, "DEMO phonghop - không có giá trị pháp lý")

    def new_key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    start, end = now - timedelta(days=1), now + timedelta(days=DEMO_CERTIFICATE_DAYS)
    ca_key, ca = root_ca(
        name("DEMO CA thử nghiệm phonghop"), start=start, end=end, new_key=new_key, path_length=0
    )
    key, cert = signer_certificate(
        name(f"DEMO {DEMO_BODY} (chứng thư thử nghiệm)"), ca_key, ca, start=start, end=end, new_key=new_key
    )
    data = pkcs12.serialize_key_and_certificates(
        b"phonghop-demo", key, cert, [ca], serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def demo_certificate_path(settings: Settings) -> Path:
    return settings.data_dir / "demo" / "demo-signer.p12"


async def seed_demo(settings: Settings, *, reset: bool = False, now: datetime | None = None) -> Demo:
    """Create the demo, or reuse it; with ``reset``, a new demo meeting (today, starting
    soon) with the same people, the earlier meetings staying in the history."""
    now = (now or clock.now()).astimezone(ZoneInfo(settings.timezone))
    demo_certificate(demo_certificate_path(settings), now=now)
    db = Database(settings.database_url)
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
    try:
        async with db.unit() as uow:
            body = await uow.session.scalar(select(IssuingBody).where(IssuingBody.name == DEMO_BODY))
            if body is not None:
                meeting = await uow.session.scalar(
                    select(Meeting).where(Meeting.body_id == body.id).order_by(Meeting.id.desc())
                )
                if meeting is not None and meeting.join_code and not reset:
                    return Demo(
                        body.id,
                        meeting.id,
                        meeting.join_code,
                        created=False,
                        ended=meeting.state in ENDED,
                        personal_codes=await _personal_codes(uow, meeting.id),
                    )
                users = {
                    u.username: u
                    for u in await uow.session.scalars(select(User).where(User.body_id == body.id))
                }
            else:
                body, users = await _create_body(uow, settings, passwords)
            if not (body.settings or {}).get(DEMO_FLAG):
                await _demo_notice_settings(uow, settings, body, users["quantri"], now)
            meeting = await _create_meeting(uow, settings, body.id, users, demo_start(now))
            assert meeting.join_code
            codes = await _personal_codes(uow, meeting.id)
            return Demo(body.id, meeting.id, meeting.join_code, created=True, personal_codes=codes)
    finally:
        await db.dispose()


async def _create_body(
    uow: UnitOfWork, settings: Settings, passwords: Passwords
) -> tuple[IssuingBody, dict[str, User]]:
    """The demo's body, its accounts, units and delegates, and its notice settings: a
    signer and the demo test certificate, so the story reaches a signed notice."""
    body = await create_body(
        uow,
        name=DEMO_BODY,
        short_name="Ban Thường vụ Tỉnh ủy",
        symbol="TU",
        notice_format="party",
        place="Sông Lam",
    )
    users: dict[str, User] = {}

    async def account(
        username: str, full_name: str, title: str = "", role: UserRole = UserRole.MEMBER, **extra: Any
    ) -> None:
        users[username] = await create_user(
            uow,
            passwords,
            body_id=body.id,
            username=username,
            full_name=full_name,
            title=title,
            role=role,
            **extra,
        )

    await account("quantri", "Quản trị hệ thống", role=UserRole.ADMIN, password=DEMO_PASSWORD)
    for username, full_name, title, role, _ in STAFF:
        await account(username, full_name, title, role, password=DEMO_PASSWORD)
    admin_actor = Actor(body_id=body.id, user_id=users["quantri"].id, user_role=UserRole.ADMIN)
    units = {
        name: await followup.create_unit(uow, admin_actor, name=name, short_name=short)
        for name, short in UNITS
    }
    clerk, clerk_name, clerk_title, clerk_unit = UNIT_CLERK
    await account(clerk, clerk_name, clerk_title, password=DEMO_PASSWORD, unit_id=units[clerk_unit]["id"])
    # Delegates have no password: a tablet joins with the meeting's code and picks a name.
    for index, (full_name, title) in enumerate(DELEGATES, start=1):
        await account(f"daibieu{index:02d}", full_name, title)
    return body, users


async def _demo_notice_settings(
    uow: UnitOfWork, settings: Settings, body: IssuingBody, admin: User, now: datetime
) -> None:
    """What an administrator would set before the office issues notices: the committee's
    term (from a congress last autumn), the signer, the demo test certificate, an agency
    code for the edXML package; and the flag
    that tells the console this body is the demo."""
    await notices.put_settings(
        uow,
        Actor(body_id=body.id, user_id=admin.id, user_role=UserRole.ADMIN),
        {
            "term_start": date(now.year - 1, 10, 16).isoformat(),
            "recipients": DEMO_RECIPIENTS,
            "signature": DEMO_SIGNATURE,
            "signing": {"pkcs12_path": str(demo_certificate_path(settings)), "reason": DEMO_SIGNING_REASON},
            "exchange": {"agency_code": DEMO_AGENCY_CODE},
        },
    )
    body.settings = {**(body.settings or {}), DEMO_FLAG: True}


async def _create_meeting(
    uow: UnitOfWork, settings: Settings, body_id: int, users: dict[str, User], start: datetime
) -> Meeting:
    """The standing committee's meeting, scheduled, with its agenda and one document per item."""
    prepared = await _prepare_documents(settings)
    office = Actor(body_id=body_id, user_id=users["vanphong"].id, user_role=UserRole.OFFICE)
    meeting = await meetings.create_meeting(
        uow,
        office,
        MeetingFields(
            title=f"Hội nghị Ban Thường vụ Tỉnh ủy (phiên thường kỳ tháng {start.month:02d}/{start.year})",
            location="Phòng họp số 1, Trụ sở Tỉnh ủy",
            starts_at=start.astimezone(UTC),
            ends_at=(start + LENGTH).astimezone(UTC),
            members_total=len(DELEGATES) + 1,
        ),
    )
    position = 0
    for username, _, _, _, meeting_role in STAFF:
        if meeting_role is None:
            continue
        await meetings.add_participant(
            uow,
            office,
            meeting.id,
            ParticipantFields(user_id=users[username].id, role=meeting_role, position=position),
        )
        position += 1
    for index in range(1, len(DELEGATES) + 1):
        await meetings.add_participant(
            uow,
            office,
            meeting.id,
            ParticipantFields(
                user_id=users[f"daibieu{index:02d}"].id, role=MeetingRole.DELEGATE, position=position
            ),
        )
        position += 1
    items = [
        await meetings.add_agenda_item(
            uow,
            office,
            meeting.id,
            AgendaFields(title=title, presenter=presenter, planned_minutes=minutes),
        )
        for title, presenter, minutes in AGENDA
    ]
    # One document per agenda item; the report on Party building is classified (Mật), so
    # the demo shows watermarked pages too.
    for index, (item, (sample, blob, info)) in enumerate(zip(items, prepared, strict=True)):
        await documents.add_document(
            uow,
            office,
            meeting.id,
            DocumentFields(
                title=sample.title,
                agenda_item_id=item.id,
                classification=Classification.CONFIDENTIAL if index == 3 else Classification.NORMAL,
            ),
            blob,
            info,
            sample.filename,
        )
    meeting = await meetings.change_state(uow, office, meeting.id, MeetingAction.SCHEDULE)
    assert meeting.state == MeetingState.SCHEDULED.value
    return meeting


async def _prepare_documents(settings: Settings) -> list[tuple[SampleDocument, StoredBlob, PdfInfo]]:
    """The sample PDFs, stored and inspected as an upload would be."""
    out = []
    for sample in sample_documents():

        async def chunks(data: bytes = sample.pdf_bytes) -> AsyncIterator[bytes]:
            yield data

        blob = await store_upload(chunks(), settings.blob_dir, max_bytes=settings.max_upload_mb << 20)
        out.append((sample, blob, await inspect_pdf_async(blob.path)))
    return out


def print_demo(settings: Settings, demo: Demo) -> None:
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    state = "created" if demo.created else "already there, reused"
    ended = (
        """
  Cuộc họp mẫu đã kết thúc. Bắt đầu lại với một cuộc họp mới: scripts/demo --reset
  The demo meeting has ended. Start over with a new one:     scripts/demo --reset
"""
        if demo.ended
        else ""
    )
    print(
        f"""
Phòng họp không giấy — demo ({state})
  Bảng điều khiển thư ký / secretary console:  {base}/console/
  Máy tính bảng đại biểu / delegate tablet:    {base}/tablet/#join={demo.join_code}
  Màn hình phòng họp / room display:           {base}/room/#/meetings/{demo.meeting_id}
    (trong trình duyệt đã đăng nhập / in a browser signed in on the console, e.g. as thuky)
  Mã tham dự / join code:                      {demo.join_code}
  Cuộc họp / meeting id:                       {demo.meeting_id}
{ended}
  Tài khoản / logins (mật khẩu / password: {DEMO_PASSWORD})
    vanphong  văn phòng: chuẩn bị cuộc họp, soạn và ban hành thông báo / office: prepares, issues the notice
    thuky     thư ký cuộc họp: điều hành, điểm danh / meeting secretary: runs the meeting, roll call
    bithu     chủ trì / chair
    bantochuc cán bộ Ban Tổ chức (đơn vị): dự thảo, nhiệm vụ / a unit's clerk: drafts, tasks
    quantri   quản trị / administrator
    Đại biểu / delegates: chọn tên trên máy tính bảng / pick a name on the tablet

  Thông báo được ký bằng chứng thư THỬ NGHIỆM của demo (không có giá trị pháp lý):
  notices are signed with the demo's TEST certificate (no legal value): {demo_certificate_path(settings)}

  Mã cá nhân trên giấy mời / personal codes on the invitations
  (máy tính bảng: nhập mã tham dự, chọn tên, nhập mã cá nhân / on a tablet: join code,
  pick the name, then the personal code; or open {base}/tablet/#join={demo.join_code}&personal=CODE)
""",
        flush=True,
    )
    for name, code in demo.personal_codes:
        print(f"    {code}  {name}", flush=True)
    print(flush=True)
