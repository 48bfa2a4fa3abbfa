"""The follow-up report of a body (by unit) and its table for export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from phonghop.domain.permissions import Actor
from phonghop.domain.tasks import STATES, STATUSES, awaiting_acceptance, is_late, status_of
from phonghop.domain.text import compare_key
from phonghop.exports.tables import Column, Table
from phonghop.services.followup.tasks import Row, _dashboard_key, _sort_key, _visible, task_view
from phonghop.services.followup.units import _units
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    IssuingBody,
    Meeting,
    Notice,
    Task,
    Unit,
)
from phonghop.translations import translate

# -- the report ----------------------------------------------------------------------------------


def _group_of(task: Task, names: dict[int, str]) -> tuple[tuple[str, Any], str]:
    """The report's group of a task: its unit, or the lead unit as written (by key)."""
    if task.unit_id is not None and task.unit_id in names:
        return ("unit", task.unit_id), names[task.unit_id]
    return ("name", compare_key(task.lead_unit)), task.lead_unit


def unit_report(
    tasks: Sequence[tuple[Task, Meeting, Notice]], units: Sequence[Unit], today: date
) -> list[dict[str, Any]]:
    """Per lead unit: counts by state and by status, how many are late and awaiting
    acceptance, and the late tasks. Tasks of a unit of the body are counted under its name
    (``unit_id`` set); others under the name as first written, spellings that differ only
    in case or tone-mark placement together. Units with late tasks first."""
    names = {u.id: u.name for u in units}
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for task, meeting, notice in sorted(tasks, key=lambda row: _sort_key(row[0])):
        key, shown = _group_of(task, names)
        group = groups.setdefault(
            key,
            {
                "unit": shown,
                "unit_id": key[1] if key[0] == "unit" else None,
                "total": 0,
                **{s: 0 for s in STATES},
                "late": 0,
                "statuses": {s: 0 for s in STATUSES},
                "awaiting_acceptance": 0,
                "late_tasks": [],
            },
        )
        group["total"] += 1
        group[task.state] += 1
        group["statuses"][status_of(task, today)] += 1
        group["awaiting_acceptance"] += awaiting_acceptance(task)
        if is_late(task, today):
            group["late"] += 1
            group["late_tasks"].append(task_view(task, meeting, notice, today))
    return sorted(groups.values(), key=lambda g: (-g["late"], compare_key(g["unit"])))


async def report(uow: UnitOfWork, actor: Actor, today: date, *, body_id: int | None = None) -> dict[str, Any]:
    """The follow-up report (the dashboard) as of ``today`` over the tasks the actor sees
    (``body_id``: a body under the actor's, read-only): totals by state and by status,
    per unit, and every task, overdue first."""
    body, read_only, rows = await _visible(uow, actor, body_id)
    plain = [(t, m, n) for t, m, n, _ in rows]
    units = unit_report(plain, await _units(uow, body.id), today)
    totals = {s: sum(u[s] for u in units) for s in ("total", *STATES, "late")}
    by_status = {s: sum(u["statuses"][s] for u in units) for s in STATUSES}
    rows.sort(key=lambda row: _dashboard_key(row[0], today))
    return {
        "today": today.isoformat(),
        "body": {"id": body.id, "name": body.name},
        "read_only": read_only,
        "totals": totals,
        "by_status": by_status,
        "awaiting_acceptance": sum(u["awaiting_acceptance"] for u in units),
        "units": units,
        "tasks": [task_view(t, m, n, today, a) for t, m, n, a in rows],
    }


def _status_label(task: Task, today: date, lang: str) -> str:
    label = translate(f"followup.status.{status_of(task, today)}", lang)
    if awaiting_acceptance(task):
        label += " " + translate("followup.awaiting_acceptance_note", lang)
    return label


def _short_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


async def report_table(
    uow: UnitOfWork, actor: Actor, today: date, lang: str, *, body_id: int | None = None
) -> Table:
    """The follow-up report as a table for :mod:`phonghop.exports.tables`: one row per
    task, grouped by lead unit (units with late tasks first; overdue first inside)."""
    body, _, rows = await _visible(uow, actor, body_id)
    parent = await uow.session.get(IssuingBody, body.parent_id) if body.parent_id is not None else None
    units = await _units(uow, body.id)
    names = {u.id: u.name for u in units}
    order = [g["unit"] for g in unit_report([(t, m, n) for t, m, n, _ in rows], units, today)]
    grouped: dict[str, list[Row]] = {name: [] for name in order}
    first_shown: dict[tuple[str, Any], str] = {}
    for row in sorted(rows, key=lambda r: _sort_key(r[0])):
        key, shown = _group_of(row[0], names)
        grouped[first_shown.setdefault(key, shown)].append(row)
    cells: list[list[str | int | None]] = []
    groups: list[str | None] = []
    for name in order:
        for i, (task, _, notice, _) in enumerate(
            sorted(grouped[name], key=lambda r: _dashboard_key(r[0], today))
        ):
            groups.append(name if i == 0 else None)
            cells.append(
                [
                    task.text,
                    task.lead_unit,
                    ", ".join(task.cooperating_units),
                    _short_date(task.deadline),
                    _status_label(task, today, lang),
                    notice.number_label,
                ]
            )
    counts = {s: 0 for s in STATUSES}
    for task, *_ in rows:
        counts[status_of(task, today)] += 1

    def tr(key: str, **params: Any) -> str:
        return translate(f"followup.export.{key}", lang, **params)

    return Table(
        body_name=body.name,
        parent_name=parent.name if parent is not None else "",
        title=tr("title"),
        subtitle=tr("subtitle", date=_short_date(today)),
        columns=[
            Column(tr("text"), 60),
            Column(tr("lead_unit"), 25),
            Column(tr("cooperating_units"), 25),
            Column(tr("deadline"), 14, "center"),
            Column(tr("status"), 22),
            Column(tr("notice"), 16, "center"),
        ],
        rows=cells,
        groups=groups,
        notes=[tr("totals", total=len(rows), **counts)],
        stt_header=tr("stt"),
        sheet_name=tr("sheet"),
    )
