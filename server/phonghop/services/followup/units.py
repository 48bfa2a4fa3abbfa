"""The body's units (đơn vị) and how a lead unit written in a conclusion is matched to one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from phonghop.domain.permissions import Actor, require_admin, require_office, require_same_body
from phonghop.domain.tasks import MAX_UNIT_NAME, MAX_UNIT_SHORT
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, InvalidInput, NotFound
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Task,
    Unit,
)

# -- units ---------------------------------------------------------------------------------------


def unit_view(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name, "short_name": unit.short_name}


async def _units(uow: UnitOfWork, body_id: int) -> list[Unit]:
    return list(await uow.session.scalars(select(Unit).where(Unit.body_id == body_id).order_by(Unit.id)))


def unit_matcher(units: Sequence[Unit]) -> Callable[[str], int | None]:
    """Lead unit as written -> the id of the unit it names: by name, else by a short name
    no other unit has; ``None`` when nothing (or nothing unambiguous) matches."""
    by_name = {u.name_key: u.id for u in units}
    shorts: dict[str, list[int]] = {}
    for u in units:
        if u.short_name:
            shorts.setdefault(compare_key(u.short_name), []).append(u.id)
    by_short = {key: ids[0] for key, ids in shorts.items() if len(ids) == 1}

    def match(written: str) -> int | None:
        key = compare_key(written)
        return by_name.get(key, by_short.get(key))

    return match


async def _relink(uow: UnitOfWork, body_id: int) -> None:
    """Work out again which unit each of the body's tasks names."""
    await uow.session.flush()
    match = unit_matcher(await _units(uow, body_id))
    tasks = select(Task).where(Task.body_id == body_id).execution_options(populate_existing=True)
    for task in await uow.session.scalars(tasks):
        unit_id = match(task.lead_unit)
        if task.unit_id != unit_id:
            task.unit_id = unit_id
    await uow.session.flush()


def _unit_fields(name: str, short_name: str) -> tuple[str, str]:
    name, short_name = normalize(name), normalize(short_name)
    if not name or len(name) > MAX_UNIT_NAME:
        raise InvalidInput("unit_invalid", field="name")
    if len(short_name) > MAX_UNIT_SHORT:
        raise InvalidInput("unit_invalid", field="short_name")
    return name, short_name


async def _check_name_free(uow: UnitOfWork, body_id: int, key: str, unit_id: int | None) -> None:
    taken = await uow.session.scalar(
        select(Unit.id).where(Unit.body_id == body_id, Unit.name_key == key, Unit.id != (unit_id or 0))
    )
    if taken is not None:
        raise Conflict("unit_name_taken")


async def _flush_unit(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError:  # the same name added at the same moment by another request
        raise Conflict("unit_name_taken") from None


async def list_units(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The body's units by name (office staff and administrators)."""
    require_office(actor)
    units = sorted(await _units(uow, actor.body_id), key=lambda u: u.name_key)
    return [unit_view(u) for u in units]


async def create_unit(uow: UnitOfWork, actor: Actor, *, name: str, short_name: str = "") -> dict[str, Any]:
    """Add a unit (administrators); ``unit_name_taken`` when the body has one of that name
    (whatever the case and tone-mark placement)."""
    require_admin(actor)
    name, short_name = _unit_fields(name, short_name)
    key = compare_key(name)
    await _check_name_free(uow, actor.body_id, key, None)
    unit = Unit(body_id=actor.body_id, name=name, short_name=short_name, name_key=key)
    uow.session.add(unit)
    await _flush_unit(uow)
    await _relink(uow, actor.body_id)
    record_audit(uow, actor, "unit.created", target_type="unit", target_id=unit.id, name=name)
    return unit_view(unit)


async def _load_unit(uow: UnitOfWork, actor: Actor, unit_id: int) -> Unit:
    require_admin(actor)
    unit = await uow.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found")
    require_same_body(actor, unit.body_id, "unit")
    return unit


async def update_unit(
    uow: UnitOfWork, actor: Actor, unit_id: int, *, name: str | None, short_name: str | None
) -> dict[str, Any]:
    """Rename a unit or change its short name (administrators); ``None`` keeps a field."""
    unit = await _load_unit(uow, actor, unit_id)
    new_name, new_short = _unit_fields(
        unit.name if name is None else name, unit.short_name if short_name is None else short_name
    )
    key = compare_key(new_name)
    await _check_name_free(uow, unit.body_id, key, unit.id)
    unit.name, unit.short_name, unit.name_key = new_name, new_short, key
    await _flush_unit(uow)
    await _relink(uow, unit.body_id)
    record_audit(uow, actor, "unit.updated", target_type="unit", target_id=unit.id, name=new_name)
    return unit_view(unit)


async def delete_unit(uow: UnitOfWork, actor: Actor, unit_id: int) -> None:
    """Remove a unit (administrators): its tasks keep their lead unit as written."""
    unit = await _load_unit(uow, actor, unit_id)
    await uow.session.execute(
        update(Task)
        .where(Task.unit_id == unit.id)
        .values(unit_id=None)
        .execution_options(synchronize_session=False)
    )
    await uow.session.delete(unit)
    await _relink(uow, unit.body_id)
    record_audit(uow, actor, "unit.deleted", target_type="unit", target_id=unit_id)
