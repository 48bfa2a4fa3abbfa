"""The meeting websocket: ``/ws/meetings/{meeting_id}`` (see docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from phonghop import metrics
from phonghop.domain.hygiene import MAX_DEPTH, repair
from phonghop.domain.meeting import MeetingAction
from phonghop.domain.permissions import Actor, can_run_meeting
from phonghop.errors import NotFound, PermissionDenied, PhonghopError, Unauthenticated
from phonghop.realtime import protocol as p
from phonghop.realtime._transport import SCOPE_KEY, release_handshake, tap_text
from phonghop.realtime.bucket import TokenBucket
from phonghop.realtime.hub import RESYNC_CLOSE, Connection, Hub, dumps, message_for
from phonghop.realtime.replay import resume_events
from phonghop.services import accounts, live, meetings
from phonghop.services.audit import PageViews
from phonghop.services.meetings import iso
from phonghop.storage.db import UnitOfWork
from phonghop.storage.installation import log_epoch
from phonghop.storage.models import utcnow
from phonghop.translations import error_message, pick_language
from phonghop.web import annotations as annotation_api
from phonghop.web import documents, notices, polls
from phonghop.web.context import MAX_INT, app_state, checked, path_int, session_token
from phonghop.web.cookies import origin_allowed
from phonghop.web.errors import out_of_range

log = logging.getLogger("phonghop.socket")

HELLO_TIMEOUT = 10.0
RESUME_DRAIN_SECONDS = 10.0
Handler = Callable[[UnitOfWork, Actor, int, Any], Awaitable[dict[str, Any]]]


#: Close code: the server is overloaded for now; reconnect after the usual backoff.
TRY_AGAIN_LATER = 1013
#: Handshakes and resumes reading the database at once, per instance. A congress's 1,600
#: tablets reconnecting together queue here (cheaply) instead of in the connection pool,
#: whose timeout would turn the wait into errors.
DB_GATE = 8


def _result(command_id: Any, result: dict[str, Any]) -> str:
    return dumps({"type": "result", "id": command_id, "ok": True, "result": result})


def _empty_result(command_id: int | str) -> str:
    """``_result(command_id, {})``, built without a dict: every tablet sends one
    ``viewer.report`` per page turn, so this is on the hot path."""
    if type(command_id) is int:
        return f'{{"type":"result","id":{command_id},"ok":true,"result":{{}}}}'
    return f'{{"type":"result","id":{json.dumps(command_id, ensure_ascii=False)},"ok":true,"result":{{}}}}'


def _error(command_id: Any, code: str, lang: str, params: dict[str, Any] | None = None) -> str:
    metrics.errors[(code, "ws")] += 1
    params = params or {}
    message = error_message(code, lang, **params)
    return dumps(
        {
            "type": "result",
            "id": command_id,
            "ok": False,
            "error": {"code": code, "message": message, "params": params},
        }
    )


async def _control(uow: UnitOfWork, actor: Actor, mid: int, cmd: p.MeetingControl) -> dict[str, Any]:
    meeting = await meetings.change_state(uow, actor, mid, MeetingAction(cmd.action))
    return {"state": meeting.state}


HANDLERS: dict[str, Handler] = {
    "meeting.control": _control,
    "agenda.open_item": lambda uow, a, m, c: live.open_agenda_item(uow, a, m, c.item_id),
    "agenda.finish_item": lambda uow, a, m, c: live.finish_agenda_item(uow, a, m, c.item_id),
    "presenter.show_page": lambda uow, a, m, c: live.show_page(uow, a, m, c.document_id, c.page),
    "presenter.clear": lambda uow, a, m, c: live.clear_presenter(uow, a, m),
    "attendance.record": lambda uow, a, m, c: live.record_attendance(
        uow, a, m, c.participant_id, c.attendance, c.reason
    ),
    "speaker.request": lambda uow, a, m, c: live.request_to_speak(uow, a, m),
    "speaker.withdraw": lambda uow, a, m, c: live.withdraw_request(uow, a, m),
    "speaker.grant": lambda uow, a, m, c: live.grant_floor(uow, a, m, c.participant_id),
    "speaker.finish": lambda uow, a, m, c: live.finish_speaking(uow, a, m, c.participant_id),
    "timer.start": lambda uow, a, m, c: live.start_timer(uow, a, m, c.seconds, c.label),
    "timer.stop": lambda uow, a, m, c: live.stop_timer(uow, a, m),
    "announcement.make": lambda uow, a, m, c: live.announce(uow, a, m, c.text),
    **documents.SOCKET_HANDLERS,
    **polls.SOCKET_HANDLERS,
    **annotation_api.SOCKET_HANDLERS,
    **notices.SOCKET_HANDLERS,
}


def _command_id(raw: str | None) -> Any:
    """The id of a refused command, read cheaply (None when it has none)."""
    if raw is None or len(raw) > 4096:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # 4 KiB of "[" nest past the parser's limit
        return None
    command_id = data.get("id") if isinstance(data, dict) else None
    return command_id if isinstance(command_id, int | str) and not isinstance(command_id, bool) else None


def _parse(raw: str) -> tuple[Any, Any | None, str | None, dict[str, Any] | None]:
    """(command id, command, error code, error params) for one text frame."""
    try:
        data = json.loads(raw)
    except RecursionError:
        return None, None, "json_too_deep", {"limit": MAX_DEPTH}
    except ValueError:
        return None, None, "frame_invalid_json", None
    if not isinstance(data, dict):
        return None, None, "frame_invalid_json", None
    command_id = data.get("id")
    kind = data.get("type")
    if command_id is None and kind == "viewer.report":
        pass  # a notification, answered with nothing (see _serve)
    elif not isinstance(command_id, int | str) or isinstance(command_id, bool):
        return None, None, "command_id_missing", None
    try:
        data = checked(data)
    except PhonghopError as exc:
        # The id is echoed as sent when it is itself valid text, else repaired.
        echo = repair(command_id) if isinstance(command_id, str) else command_id
        return echo, None, exc.code, exc.params
    command_id = data.get("id")
    kind = data.get("type")
    if not isinstance(kind, str):
        return command_id, None, "command_invalid", {"field": "type"}
    model = p.COMMAND_MODELS.get(kind)
    if model is None:
        return command_id, None, "command_unknown", {"type": str(kind)[:60]}
    try:
        # The type is known: validate against its model alone, not the whole union.
        return command_id, model.model_validate(data), None, None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or "type"
        return command_id, None, "command_invalid", {"field": field}


async def meeting_socket(websocket: WebSocket) -> None:
    state = app_state(websocket)
    hub: Hub = state.hub
    settings = state.settings
    lang = pick_language(websocket.query_params.get("lang") or websocket.headers.get("accept-language"))
    meeting_id = websocket.path_params["meeting_id"]

    # Refusals are sent as close codes after accepting: closing before the accept would
    # turn into a bare HTTP 403, and the tablet could not tell why it was turned away.
    refusal: int | None = None
    actor: Actor | None = None
    tablet_session = False
    session_id, account_id = "", None
    token = session_token(websocket)
    if not origin_allowed(websocket.headers, websocket.url.scheme, settings.allowed_origins):
        refusal = 1008
    elif token is None:
        refusal = 4401
    else:
        try:
            actor, tablet_session, session_id, account_id = await _admit(
                state, token, path_int(websocket, "meeting_id")
            )
        except Unauthenticated as exc:
            refusal = p.CLOSE_MEETING_ENDED if exc.code == "meeting_ended" else 4401
        except NotFound:
            refusal = 4404
        except PermissionDenied:
            refusal = 4403
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("handshake could not reach the database: %s", type(exc).__name__)
            refusal = TRY_AGAIN_LATER
    await websocket.accept()
    if refusal is not None or actor is None:
        await websocket.close(refusal or 4401)
        return
    release_handshake(websocket.scope.get(SCOPE_KEY))
    conn = Connection(
        websocket,
        meeting_id=meeting_id,
        participant_id=actor.participant_id,
        controller=can_run_meeting(actor),
        language=lang,
        limit=settings.outbound_limit_bytes,
        proto=websocket.scope.get(SCOPE_KEY),
        tablet=tablet_session,
        session_id=session_id,
        user_id=account_id,
    )
    code = 1000
    try:
        await _serve(websocket, conn, hub, state, actor, meeting_id, lang)
    except WebSocketDisconnect:
        pass
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        # The database did not answer in time (a burst of tablets reconnecting at once):
        # the tablet is asked to come back a little later and resumes where it was.
        log.warning("resume could not reach the database: %s", type(exc).__name__)
        code = TRY_AGAIN_LATER
    finally:
        hub.remove(conn)
        await conn.close(code)


async def _admit(state: Any, token: str, meeting_id: int) -> tuple[Actor, bool, str, int | None]:
    """(actor in the meeting, tablet session?, session id, account id) of a session token.

    Its own frame: the unit of work and the rows read here are freed when it returns,
    not kept for as long as the socket lives (1,600 of them at a congress)."""
    async with state.db_gate, state.db.unit(write=False) as uow:
        info = await accounts.resolve_session(uow, token)
        meeting = await meetings.load_meeting(uow, info.actor, meeting_id)
        actor = await meetings.actor_in_meeting(uow, info.actor, meeting)
        # a room display ends with the meeting as a tablet joined by code does
        tablet = info.participant is not None or info.actor.display
        return actor, tablet, info.session_id, info.account_id


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next text frame; None for a binary one. Raises WebSocketDisconnect at the end."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    return text if isinstance(text, str) else None


async def _serve(
    websocket: WebSocket, conn: Connection, hub: Hub, state: Any, actor: Actor, meeting_id: int, lang: str
) -> None:
    # 1. hello, within HELLO_TIMEOUT of connecting however many other frames come first
    deadline = asyncio.get_running_loop().time() + HELLO_TIMEOUT
    while True:
        try:
            remaining = deadline - asyncio.get_running_loop().time()
            raw = await asyncio.wait_for(_receive_text(websocket), max(remaining, 0))
        except TimeoutError:
            await conn.close(4408, "hello timeout")
            return
        if raw is None:
            conn.push(_error(None, "frame_binary_unsupported", lang))
            continue
        command_id, command, code, params = _parse(raw)
        if isinstance(command, p.Hello):
            break
        conn.push(_error(command_id, code or "hello_required", lang, params))
    await _resume(conn, hub, state, actor, meeting_id, command, lang)
    reports = _Reports(conn, hub, state.page_views, actor, meeting_id)
    # 2. commands; a participant's tablet at most settings.command_rate a second after a
    # burst (a flood is refused command by command with an error frame; the connection
    # stays open). Controllers, who run the meeting (a presenter turning pages fast), are
    # not limited.
    clock = asyncio.get_running_loop().time
    bucket = (
        None
        if conn.controller
        else TokenBucket(state.settings.command_rate, state.settings.command_burst, clock())
    )
    taker = reports.taker(bucket, clock, state.settings.max_message_bytes)
    # A room display may not report (the loop refuses it): it gets no tap.
    untap = tap_text(conn.proto, taker) if conn.proto is not None and not actor.display else None
    try:
        await _commands(websocket, conn, hub, state, actor, meeting_id, lang, bucket, reports)
    finally:
        if untap is not None:
            untap()


async def _commands(
    websocket: WebSocket,
    conn: Connection,
    hub: Hub,
    state: Any,
    actor: Actor,
    meeting_id: int,
    lang: str,
    bucket: TokenBucket | None,
    reports: _Reports,
) -> None:
    max_bytes = state.settings.max_message_bytes
    clock = asyncio.get_running_loop().time
    while True:
        raw = await _receive_text(websocket)
        if bucket is not None and not bucket.take(clock()):
            command_id = _command_id(raw)
            conn.push(_error(command_id, "command_rate_limited", lang, {"seconds": round(bucket.wait(), 1)}))
            continue
        if raw is None:
            conn.push(_error(None, "frame_binary_unsupported", lang))
            continue
        if len(raw) > max_bytes:
            conn.push(_error(None, "frame_too_large", lang, {"limit_kb": max_bytes // 1024}))
            continue
        command_id, command, code, params = _parse(raw)
        if command is None:
            conn.push(_error(command_id, code or "command_invalid", lang, params))
            continue
        if isinstance(command, p.Hello):
            # A client that saw a gap asks again: resume from where it says.
            await _resume(conn, hub, state, actor, meeting_id, command, lang)
            continue
        if actor.display and not isinstance(command, p.Ping):
            # A room display reads: after its hello (above) it may only ping.
            conn.push(_error(command_id, "display_read_only", lang))
            continue
        if isinstance(command, p.Ping):
            room = hub.rooms.get(meeting_id)
            conn.push(
                _result(
                    command_id, {"last_seq": room.last_seq if room else None, "server_time": iso(utcnow())}
                )
            )
            continue
        if isinstance(command, p.ViewerReport):
            metrics.viewer_reports["app"] += 1
            reports.apply(command_id, command.document_id, command.page, command.following)
            continue
        if isinstance(command, p.PollCastBallot):
            # Waits for its batch (a secret ballot for the box) without holding up the rest.
            task = asyncio.get_running_loop().create_task(
                _cast_ballot(conn, state, actor, meeting_id, command_id, command, lang)
            )
            _ballots_waiting.add(task)
            task.add_done_callback(_ballots_waiting.discard)
            continue
        handler = HANDLERS[command.type]
        try:
            if isinstance(command, p.PollClose):
                # Before the close's transaction: the other instances write their boxes.
                await polls.gather_ballot_boxes(state.db, actor, meeting_id, command)
            async with state.db.unit() as uow:
                result = await handler(uow, actor, meeting_id, command)
        except PhonghopError as exc:
            conn.push(_error(command_id, exc.code, lang, exc.params))
            continue
        except Exception as exc:
            if out_of_range(exc):
                conn.push(_error(command_id, "value_out_of_range", lang))
                continue
            log.exception("command %s failed", command.type)
            conn.push(_error(command_id, "internal_error", lang))
            continue
        conn.push(_result(command_id, result))


_ballots_waiting: set[asyncio.Task[None]] = set()

#: The fields a ``viewer.report`` may have (its model refuses any other).
_REPORT_FIELDS = frozenset({"id", "type", "document_id", "page", "following"})


def _small_int(value: Any, least: int) -> bool:
    return type(value) is int and least <= value <= MAX_INT


def fast_report(data: Any) -> tuple[int | None, int | None, int | None, bool] | None:
    """(id, document_id, page, following) of a plainly well-formed ``viewer.report``,
    checked by hand: what :class:`protocol.ViewerReport` and the JSON rules accept,
    restricted to exact types (no string id, no "12" for 12). Anything else is None and
    goes through the full parse, which answers it exactly as before."""
    if type(data) is not dict or data.get("type") != "viewer.report" or not data.keys() <= _REPORT_FIELDS:
        return None
    command_id = data.get("id")
    document_id = data.get("document_id")
    page = data.get("page")
    following = data.get("following")
    if (
        type(following) is not bool
        or (command_id is not None and not _small_int(command_id, -MAX_INT))
        or (document_id is not None and not _small_int(document_id, -MAX_INT))
        or (page is not None and not _small_int(page, 1))
    ):
        return None
    return command_id, document_id, page, following


#: A report as tablets write it (compact JSON, ``type`` first as the benchmark's tablets
#: put it or last as client_web's ``live.notify`` does, no ``id``).
_COMPACT_REPORT = re.compile(
    rb'\{("type":"viewer\.report",)?"document_id":(null|-?(?:0|[1-9][0-9]{0,18})),'
    rb'"page":(null|[1-9][0-9]{0,18}),"following":(true|false)(,"type":"viewer\.report")?\}'
)


def compact_report(data: bytes) -> tuple[None, int | None, int | None, bool] | None:
    """What :func:`fast_report` reads from a report written exactly as tablets write it,
    read without a JSON parser; None for any other text (it then takes the JSON way)."""
    match = _COMPACT_REPORT.fullmatch(data)
    if match is None or (match[1] is None) == (match[5] is None):  # "type" exactly once
        return None
    document_id = None if match[2] == b"null" else int(match[2])
    page = None if match[3] == b"null" else int(match[3])
    if (document_id is not None and not -MAX_INT <= document_id <= MAX_INT) or (
        page is not None and page > MAX_INT
    ):
        return None
    return None, document_id, page, match[4] == b"true"


class _Reports:
    """One connection's page reports (``viewer.report``): in memory only, the counts for
    the viewer summary and the page for the audit (written in batches). A report never
    causes more than its answer, if it asked for one."""

    __slots__ = ("actor", "conn", "hub", "meeting_id", "page_views")

    def __init__(
        self, conn: Connection, hub: Hub, page_views: PageViews, actor: Actor, meeting_id: int
    ) -> None:
        self.conn = conn
        self.hub = hub
        self.page_views = page_views
        self.actor = actor
        self.meeting_id = meeting_id

    def apply(self, command_id: Any, document_id: int | None, page: int | None, following: bool) -> None:
        conn = self.conn
        view = conn.view
        if document_id is not None and page is not None and (view[0] != document_id or view[1] != page):
            self.page_views.record(self.actor, document_id, page)
        conn.view = (document_id, page, following)
        if view != conn.view:
            room = self.hub.rooms.get(self.meeting_id)
            if room is not None:
                self.hub.schedule_viewer_summary(room)
        if command_id is not None:
            conn.push(_empty_result(command_id))

    def taker(
        self, bucket: TokenBucket | None, clock: Callable[[], float], max_bytes: int
    ) -> Callable[[bytes], bool]:
        """For :func:`_transport.tap_text`: takes a well-formed report sent as a
        notification (no ``id``, as the tablet sends them) that the rate limit lets through,
        straight from the protocol; anything else (another command, a report with an id,
        over the limit or malformed) is left to the receive loop, which answers it."""

        def take(data: bytes) -> bool:
            if len(data) > max_bytes:
                return False
            report: tuple[Any, int | None, int | None, bool] | None = compact_report(data)
            if report is None:
                if b"viewer.report" not in data:
                    return False
                try:
                    report = fast_report(json.loads(data))
                except (ValueError, RecursionError):
                    return False
            # One with an id is answered by the loop, to keep results in command order.
            if report is None or report[0] is not None or (bucket is not None and not bucket.take(clock())):
                return False
            metrics.viewer_reports["direct"] += 1
            self.apply(*report)
            return True

        return take


async def _cast_ballot(
    conn: Connection,
    state: Any,
    actor: Actor,
    meeting_id: int,
    command_id: Any,
    cmd: p.PollCastBallot,
    lang: str,
) -> None:
    try:
        result = await polls.cast_batched(state.db, actor, meeting_id, cmd)
    except PhonghopError as exc:
        conn.push(_error(command_id, exc.code, lang, exc.params))
        return
    except Exception:
        log.exception("command poll.cast_ballot failed")
        conn.push(_error(command_id, "internal_error", lang))
        return
    metrics.ballots["accepted"] += 1
    conn.push(_result(command_id, result))


async def _send_all(conn: Connection, frames: list[str]) -> None:
    """Queue a replay or a snapshot, waiting for the connection to drain when its buffer
    is full; a tablet that still cannot take it within RESUME_DRAIN_SECONDS resyncs
    (4001), as on the live path. Nothing is ever dropped silently."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESUME_DRAIN_SECONDS
    for text in frames:
        while not conn.push(text):
            if loop.time() > deadline:
                await conn.close(RESYNC_CLOSE, "resync")
                raise WebSocketDisconnect(RESYNC_CLOSE)
            await asyncio.sleep(0.01)


async def _resume(
    conn: Connection, hub: Hub, state: Any, actor: Actor, meeting_id: int, hello: p.Hello, lang: str
) -> None:
    """Send what the tablet missed (replay) or the whole state (snapshot), then go live.

    A replay needs the log's epoch in the hello: a tablet that names another one (the
    database was restored since), or none (a version 1 client), gets a snapshot."""
    conn.syncing = True
    hub.add(conn)
    # Answer in the version the client speaks (1 or 2): a version 1 client stops on a 2.
    protocol = min(hello.protocol, p.PROTOCOL_VERSION)
    events = None
    if hello.last_seq is not None:
        async with state.db_gate:
            events = await resume_events(
                state.db, meeting_id, hello.last_seq, hello.epoch, state.settings.replay_limit
            )
    if events is not None:
        assert hello.last_seq is not None and hello.epoch is not None
        to_seq = events[-1]["seq"] if events else hello.last_seq
        result = {
            "mode": "replay",
            "protocol": protocol,
            "epoch": hello.epoch,
            "from_seq": hello.last_seq,
            "to_seq": to_seq,
        }
        await _send_all(
            conn,
            [
                _result(hello.id, result),
                *(dumps(message_for(e, conn.participant_id, conn.controller)) for e in events),
            ],
        )
        hub.finish_sync(conn, to_seq)
        return
    async with state.db_gate, state.db.unit(write=False) as uow:
        parts = await live.snapshot_parts(uow, actor, meeting_id)
        epoch = await log_epoch(uow.session)
    seq = parts.seq
    # The meeting part is the same for every tablet at this seq: encoded once, spliced in.
    rest = dumps(parts.rest)
    frame = (
        f'{{"v":{p.PROTOCOL_VERSION},"type":"snapshot","seq":{seq},"epoch":{json.dumps(epoch)},'
        f'"data":{{"meeting":{parts.meeting_json},{rest[1:]}}}'
    )
    result = {"mode": "snapshot", "protocol": protocol, "epoch": epoch, "to_seq": seq}
    await _send_all(conn, [_result(hello.id, result), frame])
    presenter = parts.rest["live"]["presenter"]
    room = hub.rooms.get(meeting_id)
    if room is not None and room.presenter is None and presenter:
        room.presenter = (presenter["document_id"], presenter["page"])
    hub.finish_sync(conn, seq)


routes = [WebSocketRoute("/ws/meetings/{meeting_id:int}", meeting_socket)]
