"""The demo: a fictitious provincial party committee, its standing committee and one
meeting ready to run. Running it twice reuses what the first run created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from phonghop.config import Settings
from phonghop.documents.inspection import PdfInfo, inspect_pdf_async
from phonghop.documents.intake import StoredBlob, store_upload
from phonghop.documents.samples import SampleDocument, sample_documents
from phonghop.domain.meeting import Classification, MeetingAction, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.services import documents, followup, meetings
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import create_body
from phonghop.services.documents import DocumentFields
from phonghop.services.meetings import AgendaFields, MeetingFields, ParticipantFields
from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody, Meeting, User

DEMO_BODY = "TỈNH ỦY SÔNG LAM"
DEMO_PASSWORD = "phonghop-demo"
VN_TZ = timezone(timedelta(hours=7))

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


@dataclass(frozen=True)
class Demo:
    body_id: int
    meeting_id: int
    join_code: str
    created: bool


async def seed_demo(settings: Settings) -> Demo:
    db = Database(settings.database_url)
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
    try:
        async with db.unit() as uow:
            body = await uow.session.scalar(select(IssuingBody).where(IssuingBody.name == DEMO_BODY))
            if body is not None:
                meeting = await uow.session.scalar(
                    select(Meeting).where(Meeting.body_id == body.id).order_by(Meeting.id)
                )
                if meeting is not None and meeting.join_code:
                    return Demo(body.id, meeting.id, meeting.join_code, created=False)
            body = await create_body(
                uow,
                name=DEMO_BODY,
                short_name="Ban Thường vụ Tỉnh ủy",
                symbol="TU",
                notice_format="party",
                place="Sông Lam",
            )
            prepared = await _prepare_documents(settings)
            users: dict[str, User] = {}
            admin = await create_user(
                uow,
                passwords,
                body_id=body.id,
                username="quantri",
                full_name="Quản trị hệ thống",
                role=UserRole.ADMIN,
                password=DEMO_PASSWORD,
            )
            users["quantri"] = admin
            for username, full_name, title, role, _ in STAFF:
                users[username] = await create_user(
                    uow,
                    passwords,
                    body_id=body.id,
                    username=username,
                    full_name=full_name,
                    title=title,
                    role=role,
                    password=DEMO_PASSWORD,
                )
            admin_actor = Actor(body_id=body.id, user_id=admin.id, user_role=UserRole.ADMIN)
            units = {
                name: await followup.create_unit(uow, admin_actor, name=name, short_name=short)
                for name, short in UNITS
            }
            clerk, clerk_name, clerk_title, clerk_unit = UNIT_CLERK
            users[clerk] = await create_user(
                uow,
                passwords,
                body_id=body.id,
                username=clerk,
                full_name=clerk_name,
                title=clerk_title,
                role=UserRole.MEMBER,
                password=DEMO_PASSWORD,
                unit_id=units[clerk_unit]["id"],
            )
            office = Actor(body_id=body.id, user_id=users["vanphong"].id, user_role=UserRole.OFFICE)
            start = (datetime.now(VN_TZ) + timedelta(days=1)).replace(
                hour=8, minute=0, second=0, microsecond=0
            )
            meeting = await meetings.create_meeting(
                uow,
                office,
                MeetingFields(
                    title="Hội nghị Ban Thường vụ Tỉnh ủy (phiên thường kỳ tháng 12/2026)",
                    location="Phòng họp số 1, Trụ sở Tỉnh ủy",
                    starts_at=start.astimezone(UTC),
                    ends_at=(start + timedelta(hours=3, minutes=30)).astimezone(UTC),
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
            for index, (full_name, title) in enumerate(DELEGATES, start=1):
                user = await create_user(
                    uow,
                    passwords,
                    body_id=body.id,
                    username=f"daibieu{index:02d}",
                    full_name=full_name,
                    title=title,
                    role=UserRole.MEMBER,
                )
                await meetings.add_participant(
                    uow,
                    office,
                    meeting.id,
                    ParticipantFields(user_id=user.id, role=MeetingRole.DELEGATE, position=position),
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
            # One document per agenda item; the report on Party building is classified
            # (Mật), so the demo shows watermarked pages too.
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
            assert meeting.state == MeetingState.SCHEDULED.value and meeting.join_code
            return Demo(body.id, meeting.id, meeting.join_code, created=True)
    finally:
        await db.dispose()


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
    print(
        f"""
Phòng họp không giấy — demo ({state})
  Bảng điều khiển thư ký / secretary console:  {base}/console/
  Máy tính bảng đại biểu / delegate tablet:    {base}/tablet/#join={demo.join_code}
  Mã tham dự / join code:                      {demo.join_code}
  Cuộc họp / meeting id:                       {demo.meeting_id}

  Tài khoản / logins (mật khẩu / password: {DEMO_PASSWORD})
    thuky     thư ký cuộc họp / meeting secretary
    bithu     chủ trì / chair
    vanphong  văn phòng / office staff
    quantri   quản trị / administrator
    bantochuc cán bộ Ban Tổ chức (đơn vị) / a unit's clerk: drafts, tasks
""",
        flush=True,
    )
