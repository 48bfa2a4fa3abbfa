"""The participant list behind a join code, built once per meeting change.

A congress's 1,600 tablets all fetch the same list in the same minute: built per request,
it was more than half of the morning join. It is built once, kept as the encoded JSON
with a validator (ETag), and served from memory; a tablet that has it gets 304.

How stale it may be:

* a ``participant.*`` or ``meeting.*`` event of the meeting drops it on every instance
  as soon as the event passes through the bus (participants added, renamed, removed;
  the meeting renamed, started, closed);
* reissuing or revoking the code (no event: the code is not for tablets to see) drops it
  at once on the instance that did it, and on the others within ``ttl`` seconds (10 by
  default), the bound for a Redis outage too. Joining itself (``POST /api/join``) always
  checks the code in the database, so a revoked code never opens a session.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from phonghop.services import accounts, meetings
from phonghop.services.identity import sign_in_with
from phonghop.storage.db import Database

#: Codes kept at most (one per meeting with tablets joining; far more than a site has).
MAX_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class JoinList:
    meeting_id: int
    etag: str
    body: bytes
    expires: float


class JoinLists:
    PREFIXES = ("participant.", "meeting.")

    def __init__(self, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, JoinList] = {}
        self._building: dict[str, asyncio.Future[JoinList]] = {}
        self.builds = 0

    async def get(self, db: Database, code: str) -> JoinList:
        """The list for ``code``; raises the errors of ``accounts.meeting_for_code``.
        Tablets asking together while it is being built share that one build."""
        code = accounts.clean_join_code(code)
        entry = self._entries.get(code)
        if entry is not None and entry.expires > self._clock():
            return entry
        building = self._building.get(code)
        if building is not None:
            return await asyncio.shield(building)
        future: asyncio.Future[JoinList] = asyncio.get_running_loop().create_future()
        self._building[code] = future
        try:
            entry = await self._build(db, code)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a build nobody else waited for is not an error
            raise
        finally:
            del self._building[code]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[code] = entry
        future.set_result(entry)
        return entry

    async def _build(self, db: Database, code: str) -> JoinList:
        async with db.unit(write=False) as uow:
            meeting = await accounts.meeting_for_code(uow, code)
            detail = await meetings.load_meeting_unchecked(uow, meeting.id)
            view: dict[str, Any] = {
                "meeting": {
                    "id": meeting.id,
                    "title": meeting.title,
                    "starts_at": meetings.iso(meeting.starts_at),
                    "location": meeting.location,
                },
                "participants": [
                    # no roles: what a person needs to find their own name, and how
                    # they prove it is them (services.identity)
                    {"id": p.id, "full_name": p.full_name, "title": p.title, "sign_in": sign_in_with(p)}
                    for p in sorted(detail.participants, key=lambda p: (p.position, p.id))
                ],
            }
        self.builds += 1
        body = json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        return JoinList(meeting.id, etag, body, self._clock() + self._ttl)

    def on_event(self, event: dict[str, Any]) -> None:
        if str(event.get("type", "")).startswith(self.PREFIXES):
            self.forget_meeting(int(event["meeting_id"]))

    def forget_meeting(self, meeting_id: int) -> None:
        for code in [c for c, e in self._entries.items() if e.meeting_id == meeting_id]:
            del self._entries[code]


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak or strong, or ``*``)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
