"""Who may read a meeting document: classification and access list (pure rules).

DOMAIN.md: a document is readable by the participants its access list names (all
participants, named participants, or meeting roles); a guest never sees a classified
document, whatever the list says; the chair, the secretary and the office always may (they
prepare and present the documents). A recalled document is readable by nobody on a tablet;
the office keeps it in its archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from phonghop.domain.meeting import Classification
from phonghop.domain.permissions import MeetingRole
from phonghop.errors import InvalidInput


class AccessMode(StrEnum):
    ALL = "all"  # every participant of the meeting
    NAMED = "named"  # the participants listed
    ROLES = "roles"  # the participants whose meeting role is listed


@dataclass(frozen=True)
class Access:
    mode: AccessMode = AccessMode.ALL
    participant_ids: frozenset[int] = frozenset()
    roles: frozenset[MeetingRole] = frozenset()

    def __post_init__(self) -> None:
        if self.mode is AccessMode.NAMED and not self.participant_ids:
            raise InvalidInput("document_access_invalid", reason="named_without_participants")
        if self.mode is AccessMode.ROLES and not self.roles:
            raise InvalidInput("document_access_invalid", reason="roles_without_roles")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Access:
        if not data:
            return cls()
        try:
            mode = AccessMode(data.get("mode", "all"))
            ids = frozenset(int(i) for i in data.get("participant_ids") or ())
            roles = frozenset(MeetingRole(r) for r in data.get("roles") or ())
        except (TypeError, ValueError):
            raise InvalidInput("document_access_invalid", reason="malformed") from None
        if mode is AccessMode.ALL:
            return cls()
        if mode is AccessMode.NAMED:
            return cls(mode, participant_ids=ids)
        return cls(mode, roles=roles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "participant_ids": sorted(self.participant_ids),
            "roles": sorted(r.value for r in self.roles),
        }


@dataclass(frozen=True)
class Reader:
    """A participant as the access rules see them."""

    participant_id: int
    role: MeetingRole


def may_read(classification: Classification, access: Access, reader: Reader) -> bool:
    """Whether this participant's tablet may receive the document (not recalled)."""
    if reader.role in (MeetingRole.CHAIR, MeetingRole.SECRETARY):
        return True
    if classification.is_classified and reader.role is MeetingRole.GUEST:
        return False
    if access.mode is AccessMode.ALL:
        return True
    if access.mode is AccessMode.NAMED:
        return reader.participant_id in access.participant_ids
    return reader.role in access.roles


def readers(classification: Classification, access: Access, participants: Iterable[Reader]) -> set[int]:
    """The participant ids who may read the document."""
    return {p.participant_id for p in participants if may_read(classification, access, p)}


def readable_by_everyone(classification: Classification, access: Access) -> bool:
    """True when every participant, including ones added later, may read it."""
    return not classification.is_classified and access.mode is AccessMode.ALL


def legal_marking(classification: Classification) -> str:
    """The classification's legal marking ("MẬT", "TỐI MẬT", "TUYỆT MẬT"; "" for an
    unclassified one), never translated."""
    return {
        Classification.CONFIDENTIAL: "MẬT",
        Classification.SECRET: "TỐI MẬT",
        Classification.TOP_SECRET: "TUYỆT MẬT",
    }.get(classification, "")


def watermark_lines(name: str, title: str, when: str, classification: Classification) -> tuple[str, ...]:
    """What is burned into a classified page or stamped on a download: who and when.

    ``when`` is the local time already formatted ("23/11/2026 14:05"). The classification
    word is not translated: it is the legal marking ("MẬT", "TỐI MẬT", "TUYỆT MẬT").
    """
    marking = legal_marking(classification)
    first = f"{name} — {title}" if title else name
    return (first, f"{marking} · {when}" if marking else when)
