"""The consoles' change signals for comment tables (``/ws/changes``): an answer to a
consultation on the draft, the drafting unit's answer and the
closing reach the consoles that may read the table, after the commit; another unit,
another body and tablets get nothing, and a socket without a session is refused."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.changes import Console, refusal
from tests.comments.conftest import Draft, Tablet, put_answer, send_on_draft, signed_in
from tests.comments.test_comment_table import NOTE_TOP_OF_PAGE_3
from tests.factories import World, companion


def test_a_change_of_the_table_reaches_the_consoles_that_may_read_it(
    base: TestClient,
    world: World,
    office: TestClient,
    member1: TestClient,
    chair: TestClient,
    draft: Draft,
) -> None:
    c = send_on_draft(office, world, draft)
    watching = {"office": Console(office), "drafter": Console(draft.drafter)}
    blind = {
        "other unit": Console(draft.outsider),
        "other body": Console(signed_in(base, "other_office")),
        "member without a unit": Console(signed_in(base, "secretary")),
    }
    expected = {
        "type": "changed",
        "topic": "comment_table",
        "id": draft.document_id,
        "body_id": world.body_id,
    }
    try:
        # A member's written opinion on the draft is a comment in its table.
        assert put_answer(member1, c["id"], "other", "Đề nghị bổ sung.", section="Điều 5").status_code == 200
        for console in watching.values():
            assert console.signal() == expected
        # Another member's opinion: the signal comes again (at most one per 250 ms).
        assert put_answer(chair, c["id"], "other", "Ý kiến khác.", section="Điều 6").status_code == 200
        for console in watching.values():
            assert console.signal() == expected
        # The drafting unit answers; the office closes the table.
        key = f"o{c['id']}-{world.users['member1']}"
        r = draft.drafter.put(
            f"/api/documents/{draft.document_id}/comments/{key}/answer", json={"kind": "accepted"}
        )
        assert r.status_code == 200, r.text
        assert watching["office"].signal() == expected
        assert office.post(f"/api/documents/{draft.document_id}/comments/close").status_code == 200
        assert watching["drafter"].signal() == expected
        for who, console in blind.items():
            assert console.signals_until_quiet() == [], who
        # A refused change commits nothing and signals nothing.
        r = draft.drafter.put(
            f"/api/documents/{draft.document_id}/comments/{key}/answer",
            json={"kind": "rejected", "text": "x"},
        )
        assert r.status_code == 409, r.text
        assert watching["drafter"].signals_until_quiet() == []
    finally:
        for console in [*watching.values(), *blind.values()]:
            console.close()


def test_only_a_signed_in_console_may_listen(
    base: TestClient, office: TestClient, draft: Draft, tablets: dict[str, Tablet]
) -> None:
    assert refusal(companion(base)) == 4401
    assert refusal(tablets["member1"].client) == 4403
    assert refusal(office, origin="https://elsewhere.example") == 1008
    signed_out = signed_in(base, "office")
    assert signed_out.delete("/api/session").status_code in (200, 204)
    assert refusal(signed_out) == 4401


def test_signing_out_closes_the_console_socket(base: TestClient, draft: Draft) -> None:
    client = signed_in(base, "office")
    console = Console(client)
    try:
        assert client.delete("/api/session").status_code in (200, 204)
        try:
            console.ws.receive_json()
        except Exception as closed:  # starlette's WebSocketDisconnect
            assert getattr(closed, "code", None) == 4401
        else:
            raise AssertionError("the console socket stayed open after signing out")
    finally:
        console.close()


def test_a_comment_marked_on_a_tablet_signals_the_table(draft: Draft, tablets: dict[str, Tablet]) -> None:
    console = Console(draft.drafter)
    try:
        note = tablets["member2"].save("note-live-1", draft.version_id, 3, "note", NOTE_TOP_OF_PAGE_3)
        assert console.signals_until_quiet() == []  # a private note is no comment
        assert tablets["member2"].mark(note).status_code == 200
        assert console.signal()["id"] == draft.document_id
    finally:
        console.close()
