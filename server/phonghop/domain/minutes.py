"""The minutes (biên bản cuộc họp): their sections, the text phonghop pre-fills, the rules
of a save.

Pure rules, no I/O. The minutes are a set of texts keyed by section: the opening (time,
place, chair, secretary, attendance), for every agenda item what happened
(``item:<id>:record``: who presented, who spoke, vote results) and what was concluded
(``item:<id>:conclusion``), and the closing (end time). A section never saved is read as
the text :func:`prefill` makes from what the meeting recorded live, so the secretary
edits instead of typing everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from phonghop.domain.notice import Absentee, Person
from phonghop.domain.text import normalize
from phonghop.errors import InvalidInput

OPENING = "opening"
CLOSING = "closing"
#: The longest text of one section, and of all of them together.
MAX_SECTION = 20_000
MAX_TOTAL = 400_000

_ITEM_KEY = re.compile(r"^item:(\d+):(record|conclusion)$")
#: A list mark a clerk types at the start of a line: "-", "+", "•", "1.", "2)", "a)".
_LIST_MARK = re.compile(r"^\s*(?:[-+•*–]|\d{1,3}[.)]|[a-zđ][.)])\s+")


def record_key(item_id: int) -> str:
    return f"item:{item_id}:record"


def conclusion_key(item_id: int) -> str:
    return f"item:{item_id}:conclusion"


def named(person: Person) -> str:
    """ "đồng chí Nguyễn Văn An, Bí thư Tỉnh ủy"."""
    return f"đồng chí {person.name}" + (f", {person.title}" if person.title.strip() else "")


@dataclass(frozen=True)
class OpeningFacts:
    """What the opening states. Times are local; ``present`` is None when no roll call
    was recorded."""

    started_at: datetime
    location: str
    chair: Person | None
    secretary: Person | None
    present: int | None
    invited: int
    absent: tuple[Absentee, ...] = ()


@dataclass(frozen=True)
class ItemFacts:
    """What the meeting recorded live on one agenda item."""

    item_id: int
    presenter: str = ""
    speakers: tuple[str, ...] = ()
    votes: tuple[str, ...] = ()
    conclusion: tuple[str, ...] = ()


def clock_words(value: datetime) -> str:
    """ "08 giờ 05 phút, ngày 07/12/2026" (``value`` in local time)."""
    return (
        f"{value.hour:02d} giờ {value.minute:02d} phút, ngày {value.day:02d}/{value.month:02d}/{value.year}"
    )


def opening_text(facts: OpeningFacts) -> str:
    lines = [f"Thời gian: bắt đầu lúc {clock_words(facts.started_at)}."]
    if facts.location.strip():
        lines.append(f"Địa điểm: {facts.location.strip()}.")
    if facts.chair is not None:
        lines.append(f"Chủ trì: {named(facts.chair)}.")
    if facts.secretary is not None:
        lines.append(f"Thư ký: {named(facts.secretary)}.")
    if facts.present is None:
        lines.append(f"Thành phần: {facts.invited} đồng chí được triệu tập.")
    else:
        attendance = f"Thành phần: có mặt {facts.present}/{facts.invited} đồng chí được triệu tập"
        if facts.absent:
            absent = "; ".join(
                f"đồng chí {a.name}" + (f" ({a.reason.strip()})" if a.reason.strip() else "")
                for a in facts.absent
            )
            attendance += f"; vắng mặt: {absent}"
        lines.append(attendance + ".")
    return normalize_lines(lines)


def record_text(item: ItemFacts) -> str:
    lines = []
    if item.presenter.strip():
        lines.append(f"{item.presenter.strip()} trình bày.")
    if item.speakers:
        lines.append("Ý kiến phát biểu: " + ", ".join(f"đồng chí {s}" for s in item.speakers) + ".")
    lines.extend(item.votes)
    return normalize_lines(lines)


def closing_text(ended_at: datetime | None) -> str:
    """ "Cuộc họp kết thúc lúc 11 giờ 30 phút, ngày 07/12/2026."; empty while it runs."""
    if ended_at is None:
        return ""
    return normalize(f"Cuộc họp kết thúc lúc {clock_words(ended_at)}.")


def prefill(opening: OpeningFacts, items: Sequence[ItemFacts], ended_at: datetime | None) -> dict[str, str]:
    """Every section's pre-filled text."""
    out = {OPENING: opening_text(opening)}
    for item in items:
        out[record_key(item.item_id)] = record_text(item)
        out[conclusion_key(item.item_id)] = normalize_lines(item.conclusion)
    out[CLOSING] = closing_text(ended_at)
    return out


def normalize_lines(lines: Iterable[str]) -> str:
    """NFC, spaces folded inside each line, empty lines dropped, one line per paragraph."""
    return "\n".join(n for n in (normalize(line) for line in lines) if n)


def section_keys(item_ids: Iterable[int]) -> list[str]:
    """The sections of a meeting with these agenda items, in the order they are written."""
    keys = [OPENING]
    for item_id in item_ids:
        keys += [record_key(item_id), conclusion_key(item_id)]
    keys.append(CLOSING)
    return keys


def clean_sections(sections: Mapping[str, str], item_ids: Iterable[int]) -> dict[str, str]:
    """The texts as stored: NFC, each line's spaces folded, empty lines dropped.

    Raises ``InvalidInput("minutes_invalid", field=key)`` for a section the meeting does
    not have or a text over :data:`MAX_SECTION`.
    """
    known = set(section_keys(item_ids))
    out: dict[str, str] = {}
    for key, text in sections.items():
        if key not in known or len(text) > MAX_SECTION:
            raise InvalidInput("minutes_invalid", field=key)
        out[key] = normalize_lines(text.splitlines())
    return out


def check_total(sections: Mapping[str, str]) -> None:
    if sum(len(text) for text in sections.values()) > MAX_TOTAL:
        raise InvalidInput("minutes_invalid", field="sections")


def item_of(key: str) -> int | None:
    """The agenda item a section key belongs to, if any."""
    found = _ITEM_KEY.match(key)
    return int(found.group(1)) if found else None


def conclusion_points(text: str) -> tuple[str, ...]:
    """A conclusion section as the notice's points: one point per line, without the list
    mark the secretary typed ("- ", "1. ")."""
    points = (_LIST_MARK.sub("", line, count=1) for line in text.splitlines())
    return tuple(p for p in (normalize(p) for p in points) if p)
