"""Written opinions: sending, answering once (or changing when allowed), the deadline and
closing, the tally and who has not answered, who sees what, and isolation between bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from starlette.testclient import TestClient

from phonghop.services import opinions
from phonghop.storage.db import Database
from phonghop.storage.models import Consultation, ConsultationMember
from tests.factories import World
from tests.notices_service.conftest import error_of, run_in_app
from tests.opinions.conftest import send, signed_in


def put_answer(client: TestClient, cid: int, choice: str, text: str = "") -> Any:
    return client.put(f"/api/consultations/{cid}/answer", json={"choice": choice, "text": text})


def move_deadline(base: TestClient, cid: int, deadline: datetime) -> None:
    async def work(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(Consultation).where(Consultation.id == cid).values(deadline=deadline)
            )

    run_in_app(base, work)


def test_members_answer_and_the_office_sees_the_tally(
    base: TestClient, world: World, office: TestClient, member1: TestClient, chair: TestClient
) -> None:
    c = send(office, world)
    assert c["closed"] is False and c["tally"]["total"] == 3 and c["tally"]["not_answered"] == 3
    # The office's time zone (UTC+7) for the deadline as shown.
    deadline = datetime.fromisoformat(c["deadline"].replace("Z", "+00:00"))
    assert c["deadline_local"] == (deadline + timedelta(hours=7)).strftime("%H:%M %d/%m/%Y")

    r = put_answer(member1, c["id"], "agree")
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["my_answer"]["choice"] == "agree" and mine["changed"] is True
    assert "tally" not in mine and "members" not in mine  # a member sees only their own answer
    assert mine["can_answer"] is False  # changes not allowed

    assert put_answer(chair, c["id"], "other", "  Đề nghị bổ sung Điều 5.  ").status_code == 200

    view = office.get(f"/api/consultations/{c['id']}").json()
    assert view["tally"] == {
        "total": 3,
        "answered": 2,
        "not_answered": 1,
        "agree": 1,
        "disagree": 0,
        "other": 1,
    }
    answers = {m["user_id"]: m["answer"] for m in view["members"]}
    assert answers[world.users["chair"]]["text"] == "Đề nghị bổ sung Điều 5."
    assert answers[world.users["member2"]] is None

    r = office.get(f"/api/consultations/{c['id']}/not-answered")
    assert r.status_code == 200
    assert [m["user_id"] for m in r.json()["members"]] == [world.users["member2"]]

    listing = member1.get("/api/consultations").json()["consultations"]
    assert [x["id"] for x in listing] == [c["id"]] and listing[0]["my_answer"]["choice"] == "agree"


def test_one_answer_per_member_resend_is_idempotent(
    base: TestClient, world: World, office: TestClient, member1: TestClient
) -> None:
    c = send(office, world)
    assert put_answer(member1, c["id"], "disagree").json()["changed"] is True
    again = put_answer(member1, c["id"], "disagree")
    assert again.status_code == 200 and again.json()["changed"] is False
    assert error_of(put_answer(member1, c["id"], "agree"), 409)["code"] == "opinion_already_given"
    assert office.get(f"/api/consultations/{c['id']}").json()["tally"]["disagree"] == 1


def test_answers_can_change_until_the_deadline_when_allowed(
    base: TestClient, world: World, office: TestClient, member1: TestClient
) -> None:
    c = send(office, world, allow_change=True)
    assert put_answer(member1, c["id"], "disagree").status_code == 200
    r = put_answer(member1, c["id"], "agree")
    assert r.status_code == 200 and r.json()["changed"] is True and r.json()["can_answer"] is True
    tally = office.get(f"/api/consultations/{c['id']}").json()["tally"]
    assert tally["agree"] == 1 and tally["disagree"] == 0

    move_deadline(base, c["id"], datetime.now(UTC) - timedelta(minutes=1))
    assert error_of(put_answer(member1, c["id"], "disagree"), 409)["code"] == "consultation_deadline_passed"
    view = office.get(f"/api/consultations/{c['id']}").json()
    assert view["closed"] is True and view["closed_by_office"] is False
    assert error_of(office.post(f"/api/consultations/{c['id']}/close"), 409)["code"] == "consultation_closed"


def test_closing_refuses_answers_and_records_the_result(
    base: TestClient, world: World, office: TestClient, member1: TestClient, chair: TestClient
) -> None:
    c = send(office, world)
    open_one = send(office, world, title="Một đợt khác chưa kết thúc")
    put_answer(member1, c["id"], "agree")
    assert error_of(member1.post(f"/api/consultations/{c['id']}/close"), 403)["code"] == "office_required"
    r = office.post(f"/api/consultations/{c['id']}/close")
    assert r.status_code == 200, r.text
    assert r.json()["closed"] is True and r.json()["closed_by_office"] is True
    assert error_of(put_answer(chair, c["id"], "agree"), 409)["code"] == "consultation_closed"
    assert error_of(office.post(f"/api/consultations/{c['id']}/close"), 409)["code"] == "consultation_closed"

    async def results(db: Database) -> list[opinions.ConsultationResult]:
        async with db.unit(write=False) as uow:
            return await opinions.closed_consultation_results(uow, world.body_id)

    found = run_in_app(base, results)
    assert [x.id for x in found] == [c["id"]]  # the open one is not a result yet
    assert open_one["id"] != c["id"]
    result = found[0]
    assert (result.total, result.agree, result.disagree, result.other) == (3, 1, 0, 0)
    assert {m.user_id for m in result.not_answered} == {world.users["chair"], world.users["member2"]}


def test_bad_input_is_refused(
    base: TestClient, world: World, office: TestClient, member1: TestClient
) -> None:
    c = send(office, world)
    assert error_of(put_answer(member1, c["id"], "other"), 422)["code"] == "opinion_text_required"
    assert error_of(put_answer(member1, c["id"], "maybe"), 422)["code"] == "opinion_choice_invalid"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = {"title": "T", "question": "Q", "members": [world.users["member1"]]}
    r = office.post("/api/consultations", json={**body, "deadline": past})
    assert error_of(r, 422)["code"] == "consultation_deadline_invalid"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    stranger = {**body, "deadline": future, "members": [world.users["other_office"]]}
    assert error_of(office.post("/api/consultations", json=stranger), 422)["code"] == (
        "consultation_members_invalid"
    )
    naive = {**body, "deadline": "2030-01-01T10:00:00"}
    assert office.post("/api/consultations", json=naive).status_code == 422
    r = member1.post("/api/consultations", json={**body, "deadline": future})
    assert error_of(r, 403)["code"] == "office_required"


def test_who_sees_what_and_other_bodies(
    base: TestClient, world: World, office: TestClient, member1: TestClient
) -> None:
    c = send(office, world, members=[world.users["chair"]])
    # Not sent to member1: it does not exist for them.
    assert error_of(member1.get(f"/api/consultations/{c['id']}"), 404)["code"] == "consultation_not_found"
    assert error_of(put_answer(member1, c["id"], "agree"), 404)["code"] == "consultation_not_found"
    assert member1.get("/api/consultations").json()["consultations"] == []
    r = member1.get(f"/api/consultations/{c['id']}/not-answered")
    assert error_of(r, 403)["code"] == "office_required"
    # Office staff it was not sent to cannot answer.
    assert error_of(put_answer(office, c["id"], "agree"), 404)["code"] == "consultation_not_found"

    stranger = signed_in(base, "other_office")
    for r in (
        stranger.get(f"/api/consultations/{c['id']}"),
        stranger.get(f"/api/consultations/{c['id']}/not-answered"),
        stranger.post(f"/api/consultations/{c['id']}/close"),
    ):
        assert error_of(r, 404)["code"] == "consultation_not_found"
    assert stranger.get("/api/consultations").json()["consultations"] == []
    r = office.post(
        "/api/consultations",
        json={
            "title": "T",
            "question": "Q",
            "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "members": [world.users["member1"]],
            "meeting_id": 999999,
        },
    )
    assert error_of(r, 404)["code"] == "meeting_not_found"


def test_a_second_answer_row_is_refused_by_the_database(
    base: TestClient, world: World, office: TestClient
) -> None:
    c = send(office, world)

    async def duplicate(db: Database) -> bool:
        try:
            async with db.unit() as uow:
                uow.session.add(
                    ConsultationMember(
                        consultation_id=c["id"], user_id=world.users["member1"], choice="agree", text=""
                    )
                )
                await uow.session.flush()
        except IntegrityError:
            return True
        return False

    assert run_in_app(base, duplicate) is True
