"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from phonghop.domain.permissions import Actor
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AuditEntry


def record_audit(
    uow: UnitOfWork,
    actor: Actor | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    remote_addr: str = "",
    **detail: Any,
) -> None:
    uow.session.add(
        AuditEntry(
            body_id=actor.body_id if actor else None,
            actor_user_id=actor.user_id if actor else None,
            actor_participant_id=actor.participant_id if actor else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
            remote_addr=remote_addr,
        )
    )
