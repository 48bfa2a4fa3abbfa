"""Statistics of an issuing body over a period (thống kê): meetings per month, attendance
per member, documents and the paper they saved, notices issued, follow-up per unit.

* **Who.** The body's office staff and administrators (``office_required`` for others).
  Everything is read for the actor's own body only: another body's meetings, documents,
  notices and tasks are never counted.
* **Period.** ``[start, end]``, both days included, are office dates (``settings.timezone``):
  a meeting belongs to the period when its start, in the office's time zone, falls on one
  of those days. At most :data:`MAX_DAYS` days; by default the current calendar year.
* **Meetings** counted are the body's meetings of the period except drafts (not announced
  yet): held (closed), scheduled, in progress (in progress or paused) and cancelled, per
  month of the period (every month listed, zeros included).
* **Attendance** is read from the roll call of the meetings *held* in the period: for each
  person (by user account where the participant has one, else by name; voting members and
  others apart), the meetings they were invited to, present (in the room or online), absent
  with a reason, absent without one, not marked, and the rate present / invited.
* **Documents** are the published documents (drafts a unit submitted never reached the
  tablets) of the period's meetings that are neither drafts nor cancelled, recalled ones
  included (they were distributed). Pages are those of each
  document's latest version. *Paper not printed* is the sum over documents of pages x
  recipients, the recipients being the participants of the document's meeting who may read
  it (``domain.documents.may_read``, and the participant's read right): one printed side
  per page, i.e. single-sided printing; reams are of 500 sheets.
* **Notices** issued in the period (by date of issue), per number sequence.
* **Follow-up**: the tasks from the conclusions of the period's meetings, per lead unit,
  by :func:`phonghop.domain.tasks.status_of` as of ``today``.

Every figure is computed by a fixed number of SQL statements, whatever the number of
meetings (GROUP BY where the database can count; only the document rows, whose access
lists are JSON, and the grouped task rows come back to Python).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select

from phonghop.domain.documents import Access, Reader, may_read
from phonghop.domain.meeting import Attendance, Classification, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, require_office
from phonghop.domain.review import ReviewState
from phonghop.domain.text import compare_key, sort_key_given_name
from phonghop.errors import InvalidInput
from phonghop.exports.tables import Column, Table
from phonghop.services import followup
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Document,
    DocumentVersion,
    IssuingBody,
    Meeting,
    Notice,
    Participant,
    Task,
    Unit,
    User,
)
from phonghop.translations import translate

#: The longest period asked for at once (ten years).
MAX_DAYS = 3660
#: Sheets in a ream of paper.
REAM = 500
#: Printed sides counted per page (single-sided printing).
SIDES_PER_PAGE = 1

#: Meeting states shown, in order; "in_progress" also counts paused meetings.
MEETING_STATES = ("held", "scheduled", "in_progress", "cancelled")
_STATE_GROUP = {
    MeetingState.CLOSED.value: "held",
    MeetingState.SCHEDULED.value: "scheduled",
    MeetingState.IN_PROGRESS.value: "in_progress",
    MeetingState.PAUSED.value: "in_progress",
    MeetingState.CANCELLED.value: "cancelled",
}
#: Task statuses counted per unit (followup.STATUSES), in the order reports show them.
TASK_STATUSES = ("done_on_time", "done_late", "overdue", "in_progress", "not_started", "cancelled")
#: A named participant id never given by the database: "a participant not in the list".
_UNLISTED = 0
#: Participant ids asked for per statement when reading named access lists.
_CHUNK = 5000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Dates whose midnights, in any time zone, are datetimes Python can hold.
_EARLIEST, _LATEST = date(1900, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True)
class Period:
    """Office dates, both ends included."""

    start: date
    end: date

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The UTC instants ``[from, until)`` the period covers in the office's time zone."""
        return _midnight(self.start, tz), _midnight(self.end + timedelta(days=1), tz)

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """The period of ``from``/``to`` (``YYYY-MM-DD``; missing: 1 January / 31 December of
    today's year). ``InvalidInput("statistics_period_invalid")`` for a date that cannot be
    read, ``to`` before ``from``, or more than :data:`MAX_DAYS` days."""

    def day(raw: str | None, default: date, field: str) -> date:
        if raw is None or raw == "":
            return default
        try:
            value = date.fromisoformat(raw) if _ISO_DATE.fullmatch(raw) else None
        except ValueError:
            value = None
        if value is None or not _EARLIEST <= value <= _LATEST:
            raise InvalidInput("statistics_period_invalid", field=field, max_days=MAX_DAYS)
        return value

    period = Period(
        day(start, date(today.year, 1, 1), "from"),
        day(end, date(today.year, 12, 31), "to"),
    )
    if period.end < period.start:
        raise InvalidInput("statistics_period_invalid", field="to", max_days=MAX_DAYS)
    if (period.end - period.start).days + 1 > MAX_DAYS:
        raise InvalidInput("statistics_period_invalid", field="to", max_days=MAX_DAYS)
    return period


# -- the figures ---------------------------------------------------------------------------------


def _meetings_of(body_id: int, since: datetime, until: datetime) -> Select[int]:
    """The ids of the body's meetings of the period, drafts left out."""
    return select(Meeting.id).where(
        Meeting.body_id == body_id,
        Meeting.starts_at >= since,
        Meeting.starts_at < until,
        Meeting.state != MeetingState.DRAFT.value,
    )


async def _meetings_per_month(uow: UnitOfWork, body_id: int, period: Period, tz: tzinfo) -> dict[str, Any]:
    since, until = period.bounds(tz)
    months = period.months()
    # The month of a start in the office's time zone, as the index of the first month
    # boundary (a UTC instant worked out here, DST included) that it comes before.
    boundaries = [_midnight(m, tz) for m in months[1:]]
    index: Any = (
        case(*((Meeting.starts_at < b, i) for i, b in enumerate(boundaries)), else_=len(boundaries))
        if boundaries
        else literal(0)
    )
    inner = (
        select(index.label("month"), Meeting.state.label("state"))
        .where(Meeting.id.in_(_meetings_of(body_id, since, until)))
        .subquery()
    )
    rows = await uow.session.execute(
        select(inner.c.month, inner.c.state, func.count()).group_by(inner.c.month, inner.c.state)
    )
    per_month = [dict.fromkeys((*MEETING_STATES, "total"), 0) for _ in months]
    for month, state, count in rows:
        group = _STATE_GROUP.get(state)
        if group is None:
            continue
        per_month[month][group] += count
        per_month[month]["total"] += count
    totals = {key: sum(m[key] for m in per_month) for key in (*MEETING_STATES, "total")}
    return {
        "totals": totals,
        "months": [
            {"month": m.strftime("%Y-%m"), **counts} for m, counts in zip(months, per_month, strict=True)
        ],
    }


async def _attendance(uow: UnitOfWork, body_id: int, period: Period, tz: tzinfo) -> dict[str, Any]:
    since, until = period.bounds(tz)
    held = _meetings_of(body_id, since, until).where(Meeting.state == MeetingState.CLOSED.value)
    present = (Attendance.PRESENT.value, Attendance.PRESENT_ONLINE.value)
    absent = Participant.attendance == Attendance.ABSENT.value
    inner = (
        select(
            Participant.user_id.label("user_id"),
            case((Participant.user_id.is_(None), Participant.full_name), else_="").label("name"),
            Participant.voting_member.label("voting"),
            Participant.full_name.label("full_name"),
            Participant.position.label("position"),
            Participant.attendance.label("attendance"),
            case((Participant.attendance.in_(present), 1), else_=0).label("present"),
            case((Participant.attendance == Attendance.PRESENT_ONLINE.value, 1), else_=0).label("online"),
            case((and_(absent, Participant.absence_reason != ""), 1), else_=0).label("excused"),
            case((and_(absent, Participant.absence_reason == ""), 1), else_=0).label("unexcused"),
            case((Participant.attendance == Attendance.UNKNOWN.value, 1), else_=0).label("unmarked"),
        )
        .where(Participant.meeting_id.in_(held))
        .subquery()
    )
    rows = await uow.session.execute(
        select(
            inner.c.user_id,
            inner.c.name,
            inner.c.voting,
            func.max(func.coalesce(User.full_name, inner.c.full_name)),
            func.min(inner.c.position),
            func.count(),
            func.sum(inner.c.present),
            func.sum(inner.c.online),
            func.sum(inner.c.excused),
            func.sum(inner.c.unexcused),
            func.sum(inner.c.unmarked),
        )
        .outerjoin(User, User.id == inner.c.user_id)
        .group_by(inner.c.user_id, inner.c.name, inner.c.voting)
    )
    people: dict[tuple[Any, ...], dict[str, Any]] = {}
    for user_id, name, voting, shown, position, invited, here, online, excused, unexcused, unmarked in rows:
        # Participants without an account are one person per name, whatever the case and
        # the tone-mark placement.
        key = (
            (bool(voting), "user", user_id)
            if user_id is not None
            else (bool(voting), "name", compare_key(name))
        )
        person = people.setdefault(
            key,
            {
                "user_id": user_id,
                "name": shown,
                "voting_member": bool(voting),
                "invited": 0,
                "present": 0,
                "present_online": 0,
                "absent_with_reason": 0,
                "absent_without_reason": 0,
                "not_marked": 0,
                "_position": position,
            },
        )
        person["_position"] = min(person["_position"], position)
        person["name"] = min(person["name"], shown)  # one spelling, whatever the row order
        for field, value in (
            ("invited", invited),
            ("present", here),
            ("present_online", online),
            ("absent_with_reason", excused),
            ("absent_without_reason", unexcused),
            ("not_marked", unmarked),
        ):
            person[field] += int(value or 0)
    members = sorted(
        people.values(),
        key=lambda p: (not p["voting_member"], p["_position"], sort_key_given_name(p["name"])),
    )
    for person in members:
        del person["_position"]
        person["rate"] = _rate(person["present"], person["invited"])
    invited_total = sum(p["invited"] for p in members)
    present_total = sum(p["present"] for p in members)
    return {
        "invited": invited_total,
        "present": present_total,
        "rate": _rate(present_total, invited_total),
        "members": members,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class _Listed:
    meeting_id: int
    role: MeetingRole
    can_read: bool


def recipients(
    classification: Classification,
    access: Access,
    readers_per_role: dict[MeetingRole, int],
    listed: dict[int, _Listed],
    meeting_id: int,
) -> int:
    """How many participants of the meeting may read the document: those the access
    list names (``listed``, looked up by id) one by one, the others by their meeting role
    (``readers_per_role`` counts the meeting's participants with the read right), each
    through :func:`phonghop.domain.documents.may_read`."""
    count = 0
    named_per_role: Counter[MeetingRole] = Counter()
    for pid in access.participant_ids:
        p = listed.get(pid)
        if p is None or p.meeting_id != meeting_id or not p.can_read:
            continue
        named_per_role[p.role] += 1
        count += may_read(classification, access, Reader(pid, p.role))
    for role, total in readers_per_role.items():
        others = total - named_per_role[role]
        if others > 0 and may_read(classification, access, Reader(_UNLISTED, role)):
            count += others
    return count


async def _listed_participants(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, _Listed]:
    wanted = sorted(set(ids))
    found: dict[int, _Listed] = {}
    for at in range(0, len(wanted), _CHUNK):
        rows = await uow.session.execute(
            select(Participant.id, Participant.meeting_id, Participant.role, Participant.can_read).where(
                Participant.id.in_(wanted[at : at + _CHUNK])
            )
        )
        for pid, meeting_id, role, can_read in rows:
            found[pid] = _Listed(meeting_id, MeetingRole(role), bool(can_read))
    return found


async def _documents(uow: UnitOfWork, body_id: int, period: Period, tz: tzinfo) -> dict[str, Any]:
    since, until = period.bounds(tz)
    meetings = _meetings_of(body_id, since, until).where(Meeting.state != MeetingState.CANCELLED.value)
    latest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    documents = list(
        await uow.session.execute(
            select(Document.meeting_id, Document.classification, Document.access, DocumentVersion.page_count)
            .join(latest, latest.c.document_id == Document.id)
            .join(
                DocumentVersion,
                and_(DocumentVersion.document_id == Document.id, DocumentVersion.number == latest.c.number),
            )
            .where(Document.meeting_id.in_(meetings), Document.review_state == ReviewState.PUBLISHED.value)
        )
    )
    per_role: dict[int, dict[MeetingRole, int]] = defaultdict(dict)
    for meeting_id, role, count in await uow.session.execute(
        select(Participant.meeting_id, Participant.role, func.count())
        .where(Participant.meeting_id.in_(meetings), Participant.can_read.is_(True))
        .group_by(Participant.meeting_id, Participant.role)
    ):
        per_role[meeting_id][MeetingRole(role)] = count
    accesses = [(row, Access.from_dict(row.access)) for row in documents]
    listed = await _listed_participants(
        uow, (pid for _, access in accesses for pid in access.participant_ids)
    )
    pages = not_printed = 0
    for row, access in accesses:
        readers = recipients(
            Classification(row.classification), access, per_role[row.meeting_id], listed, row.meeting_id
        )
        pages += row.page_count
        not_printed += row.page_count * readers * SIDES_PER_PAGE
    return {
        "documents": len(documents),
        "pages": pages,
        "pages_not_printed": not_printed,
        "sides_per_page": SIDES_PER_PAGE,
        "reams": round(not_printed / REAM, 2),
    }


async def _notices(uow: UnitOfWork, body_id: int, period: Period) -> dict[str, Any]:
    rows = await uow.session.execute(
        select(
            Notice.sequence_key,
            Notice.secret,
            func.count(),
            func.min(Notice.number),
            func.max(Notice.number),
        )
        .where(
            Notice.body_id == body_id,
            Notice.state == "issued",
            Notice.issue_date >= period.start,
            Notice.issue_date <= period.end,
        )
        .group_by(Notice.sequence_key, Notice.secret)
        .order_by(Notice.sequence_key, Notice.secret)
    )
    sequences = []
    for key, secret, count, first, last in rows:
        # "party:TB/TU:term:2025-10-16", "state:TB-UBND:2026[:secret]"
        fmt, symbol, *rest = (key or "").split(":")
        term = rest[1] if rest[:1] == ["term"] and len(rest) > 1 else None
        year = rest[0] if rest and rest[0] != "term" else None
        sequences.append(
            {
                "format": fmt,
                "symbol": symbol,
                "term_start": term,
                "year": int(year) if year and year.isdigit() else None,
                "secret": bool(secret),
                "count": count,
                "first_number": first,
                "last_number": last,
            }
        )
    return {"total": sum(s["count"] for s in sequences), "sequences": sequences}


async def _tasks(uow: UnitOfWork, body_id: int, period: Period, tz: tzinfo, today: date) -> dict[str, Any]:
    since, until = period.bounds(tz)
    names = {
        uid: name
        for uid, name in await uow.session.execute(select(Unit.id, Unit.name).where(Unit.body_id == body_id))
    }
    rows = await uow.session.execute(
        select(Task.unit_id, Task.lead_unit, Task.state, Task.deadline, Task.done_on, func.count())
        .where(Task.body_id == body_id, Task.meeting_id.in_(_meetings_of(body_id, since, until)))
        .group_by(Task.unit_id, Task.lead_unit, Task.state, Task.deadline, Task.done_on)
    )
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for unit_id, lead_unit, state, deadline, done_on, count in rows:
        if unit_id is not None and unit_id in names:
            key: tuple[str, Any] = ("unit", unit_id)
            shown = names[unit_id]
        else:  # as in the follow-up report: the written name, case and tone marks aside
            key, shown = ("name", compare_key(lead_unit)), lead_unit
        group = groups.setdefault(
            key,
            {"unit": shown, "unit_id": key[1] if key[0] == "unit" else None, "total": 0}
            | dict.fromkeys(TASK_STATUSES, 0),
        )
        if key[0] == "name":  # one spelling for the group, whatever order the rows came in
            group["unit"] = min(group["unit"], shown)
        # One task standing for the ``count`` tasks of the same state and dates.
        status = followup.status_of(Task(state=state, deadline=deadline, done_on=done_on), today)
        group[status] += count
        group["total"] += count
    units = sorted(groups.values(), key=lambda g: (-g["overdue"], compare_key(g["unit"])))
    totals = {key: sum(u[key] for u in units) for key in ("total", *TASK_STATUSES)}
    return {"today": today.isoformat(), "totals": totals, "units": units}


async def statistics(
    uow: UnitOfWork, actor: Actor, period: Period, *, today: date, tz: tzinfo
) -> dict[str, Any]:
    """The body's statistics over ``period`` (office dates in ``tz``); task statuses as of
    ``today`` (the office's date)."""
    require_office(actor)
    body = actor.body_id
    meetings = await _meetings_per_month(uow, body, period, tz)
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "meetings": meetings,
        "attendance": {
            "meetings_held": meetings["totals"]["held"],
            **await _attendance(uow, body, period, tz),
        },
        "documents": await _documents(uow, body, period, tz),
        "notices": await _notices(uow, body, period),
        "tasks": await _tasks(uow, body, period, tz, today),
    }


# -- the export ----------------------------------------------------------------------------------


def _t(key: str, lang: str, **params: Any) -> str:
    return translate(f"statistics.{key}", lang, **params)


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


async def export_tables(uow: UnitOfWork, actor: Actor, stats: dict[str, Any], lang: str) -> list[Table]:
    """The statistics as report tables (one per section) in ``lang``, headed by the body."""
    require_office(actor)
    body = await uow.session.get(IssuingBody, actor.body_id)
    assert body is not None  # the actor's session names an existing body
    parent = await uow.session.get(IssuingBody, body.parent_id) if body.parent_id else None
    start, end = (date.fromisoformat(stats["period"][k]) for k in ("from", "to"))
    subtitle = _t("export.period", lang, start=_day(start), end=_day(end))

    def table(
        name: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()
    ) -> Table:
        return Table(
            body_name=body.name,
            parent_name=parent.name if parent else "",
            title=_t(f"export.{name}.title", lang),
            subtitle=subtitle,
            columns=columns,
            rows=rows,
            notes=notes,
            stt_header=_t("export.stt", lang),
            sheet_name=_t(f"export.{name}.sheet", lang),
        )

    def counts(keys: Sequence[str], prefix: str) -> list[Column]:
        return [Column(_t(f"{prefix}.{k}", lang), 12, "right") for k in keys]

    meetings = stats["meetings"]
    month_rows = [
        [m["month"][5:] + "/" + m["month"][:4], *(m[k] for k in (*MEETING_STATES, "total"))]
        for m in meetings["months"]
    ]
    totals = meetings["totals"]
    month_rows.append([_t("export.total", lang), *(totals[k] for k in (*MEETING_STATES, "total"))])

    attendance = stats["attendance"]
    people = [
        [
            p["name"],
            _t("export.yes" if p["voting_member"] else "export.no", lang),
            p["invited"],
            p["present"],
            p["present_online"],
            p["absent_with_reason"],
            p["absent_without_reason"],
            p["not_marked"],
            _percent(p["rate"]),
        ]
        for p in attendance["members"]
    ]
    docs = stats["documents"]

    def sequence(s: dict[str, Any]) -> str:
        if s["term_start"]:
            return _t("export.term", lang, start=_day(date.fromisoformat(s["term_start"])))
        return str(s["year"] or "")

    notice_rows = [
        [
            _t(f"format.{s['format']}", lang),
            s["symbol"],
            sequence(s),
            _t("export.yes" if s["secret"] else "export.no", lang),
            s["count"],
            s["first_number"],
            s["last_number"],
        ]
        for s in stats["notices"]["sequences"]
    ]
    tasks = stats["tasks"]
    unit_rows = [[u["unit"], u["total"], *(u[k] for k in TASK_STATUSES)] for u in tasks["units"]]
    return [
        table(
            "meetings",
            [
                Column(_t("export.month", lang), 14, "center"),
                *counts((*MEETING_STATES, "total"), "meeting_state"),
            ],
            month_rows,
        ),
        table(
            "attendance",
            [
                Column(_t("attendance.name", lang), 30),
                Column(_t("attendance.voting_member", lang), 12, "center"),
                *counts(
                    (
                        "invited",
                        "present",
                        "present_online",
                        "absent_with_reason",
                        "absent_without_reason",
                        "not_marked",
                    ),
                    "attendance",
                ),
                Column(_t("attendance.rate", lang), 12, "right"),
            ],
            people,
            [
                _t(
                    "export.attendance.note",
                    lang,
                    held=attendance["meetings_held"],
                    rate=_percent(attendance["rate"]),
                )
            ],
        ),
        table(
            "documents",
            [Column(_t("export.figure", lang), 50), Column(_t("export.value", lang), 20, "right")],
            [
                [_t("documents.documents", lang), docs["documents"]],
                [_t("documents.pages", lang), docs["pages"]],
                [_t("documents.pages_not_printed", lang), docs["pages_not_printed"]],
                [_t("documents.reams", lang), docs["reams"]],
            ],
            [_t("export.documents.note", lang, ream=REAM)],
        ),
        table(
            "notices",
            [
                Column(_t("notices.format", lang), 18),
                Column(_t("notices.symbol", lang), 16),
                Column(_t("notices.sequence", lang), 22),
                Column(_t("notices.secret", lang), 10, "center"),
                Column(_t("notices.count", lang), 12, "right"),
                Column(_t("notices.first_number", lang), 12, "right"),
                Column(_t("notices.last_number", lang), 12, "right"),
            ],
            notice_rows,
            [_t("export.notices.note", lang, total=stats["notices"]["total"])],
        ),
        table(
            "tasks",
            [Column(_t("tasks.unit", lang), 34), *counts(("total", *TASK_STATUSES), "task_status")],
            unit_rows,
            [_t("export.tasks.note", lang, today=_day(date.fromisoformat(tasks["today"])))],
        ),
    ]
