"""The consoles' change-signal websocket: ``/ws/changes`` (docs/protocol.md "Change signals")."""

from __future__ import annotations

import json
import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from phonghop.errors import Unauthenticated
from phonghop.realtime.changes import Watcher
from phonghop.services import accounts
from phonghop.web.context import app_state, session_token
from phonghop.web.cookies import origin_allowed
from phonghop.web.socket import TRY_AGAIN_LATER

log = logging.getLogger("phonghop.socket")

#: Close code: a tablet's session (joined by code) has no console to keep up to date.
NOT_A_CONSOLE = 4403
PONG = '{"type":"pong"}'


async def changes_socket(websocket: WebSocket) -> None:
    state = app_state(websocket)
    refusal: int | None = None
    info: accounts.SessionInfo | None = None
    token = session_token(websocket)
    if not origin_allowed(websocket.headers, websocket.url.scheme, state.settings.allowed_origins):
        refusal = 1008
    elif token is None:
        refusal = 4401
    else:
        try:
            async with state.db_gate, state.db.unit(write=False) as uow:
                info = await accounts.resolve_session(uow, token)
        except Unauthenticated:
            refusal = 4401
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("change socket could not reach the database: %s", type(exc).__name__)
            refusal = TRY_AGAIN_LATER
        else:
            if info.participant is not None or info.user is None:
                refusal = NOT_A_CONSOLE
    # Refusals are close codes after the accept (as on the meeting socket), not a bare 403.
    await websocket.accept()
    if refusal is not None or info is None:
        await websocket.close(refusal or 4401)
        return
    watcher = Watcher(websocket, info.actor, session_id=info.session_id, user_id=info.account_id)
    state.changes.add(watcher)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            # The only frame a console sends: a heartbeat ping, answered at once; any
            # other frame is ignored.
            raw = message.get("text")
            if isinstance(raw, str) and len(raw) < 256 and _is_ping(raw):
                watcher.push(PONG)
    except WebSocketDisconnect:
        pass
    finally:
        state.changes.remove(watcher)
        await watcher.close(1000)


def _is_ping(raw: str) -> bool:
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(frame, dict) and frame.get("type") == "ping"


routes = [WebSocketRoute("/ws/changes", changes_socket)]
