"""docs/protocol.md and the protocol models in ``phonghop.realtime.protocol`` agree.

The document is parsed, not grepped: every ``#### `type``` heading under ``## Commands``,
``## Events`` and ``## Signals`` must be a model, every model must have one, and each
message's ``| field | type | meaning |`` table must list exactly the model's fields with a
type that matches the annotation. The close codes, the version, the error codes and the
JSON examples are checked too, and the snapshot example is compared with a real snapshot.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from starlette.testclient import TestClient

import phonghop
from phonghop import events
from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.realtime import protocol as p
from phonghop.translations import catalog
from tests.codes import raised_codes
from tests.factories import (
    blank_pdf,
    companion,
    join_tablet,
    login,
    prepared_meeting,
    seed_world,
    upload_document,
)
from tests.realtime.helpers import Peer

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
PACKAGE = Path(phonghop.__file__).parent
FIELD_HEADER = ("field", "type", "meaning")
SCALARS = {"integer", "string", "boolean", "number"}

#: Functions the websocket's command handlers reach besides all of services/live.py; the
#: codes they raise are errors a command can get, so the document must name them.
REACHED_FROM_COMMANDS = {
    "services/meetings.py": {
        "load_meeting",
        "actor_in_meeting",
        "change_state",
        "set_attendance",
        "_load_participant",
        "load_agenda_item",
    },
    "domain/meeting.py": {"transition", "check_attendance"},
    "domain/permissions.py": {"require_meeting_controller", "require_participant"},
}


# -- reading the document ----------------------------------------------------------------------


@dataclass
class Row:
    field: str
    type: str
    meaning: str


@dataclass
class Message:
    """One ``#### `type``` block: its field rows, or None when it says "No fields."."""

    rows: list[Row] | None
    problems: list[str]


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """The body of every ``## Title`` section, by title."""
    found: dict[str, str] = {}
    title = None
    lines: list[str] = []
    for line in [*text.splitlines(), "## (end)"]:
        if line.startswith("## "):
            if title is not None:
                found[title] = "\n".join(lines)
            title, lines = line[3:].strip(), []
        else:
            lines.append(line)
    return found


def section(name: str) -> str:
    found = sections(doc_text())
    assert name in found, f"protocol.md has no '## {name}' section"
    return found[name]


def split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(block: str, header: tuple[str, ...]) -> list[list[list[str]]]:
    """Every Markdown table in ``block`` whose header row is ``header``: its body rows."""
    found = []
    lines = block.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and tuple(c.lower() for c in split_row(line)) == header:
            body = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                body.append(split_row(row))
            found.append(body)
    return found


def messages(section_name: str) -> dict[str, Message]:
    """The messages documented under ``## <section_name>``, by type."""
    found: dict[str, Message] = {}
    blocks = re.split(r"^(?=#{1,4} )", section(section_name), flags=re.M)
    for block in blocks:
        heading = re.match(r"#### `([^`]+)`[ \t]*$", block.splitlines()[0]) if block else None
        if heading is None:
            continue
        name, problems = heading.group(1), []
        if name in found:
            problems.append(f"protocol.md documents {name!r} twice under '## {section_name}'")
        field_tables = tables(block, FIELD_HEADER)
        says_none = re.search(r"^No fields\.$", block, flags=re.M) is not None
        rows: list[Row] | None = None
        if len(field_tables) > 1:
            problems.append(f"protocol.md: {name!r} has more than one '| field | type | meaning |' table")
        if field_tables and says_none:
            problems.append(f"protocol.md: {name!r} has a field table and says 'No fields.'")
        if field_tables:
            rows = []
            for cells in field_tables[0]:
                if len(cells) != 3:
                    problems.append(f"protocol.md: a row of {name!r} does not have 3 cells: {cells}")
                    continue
                rows.append(Row(cells[0].strip("`"), cells[1], cells[2]))
        elif not says_none:
            problems.append(f"protocol.md: {name!r} has neither a field table nor 'No fields.'")
        found[name] = Message(rows, problems)
    return found


# -- what a model's annotation says ---------------------------------------------------------------


@dataclass
class Expected:
    words: set[str]
    nullable: bool
    bounds: list[int]
    choices: list[str]


def expected(info: FieldInfo) -> Expected:
    out = Expected(set(), False, [], [])
    _constraints(info.metadata, out)
    _walk(info.annotation, out, top=True)
    return out


def _constraints(metadata: list[Any], out: Expected) -> None:
    for item in metadata:
        if isinstance(item, FieldInfo):
            _constraints(item.metadata, out)
            continue
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(item, attr, None)
            if isinstance(value, int):
                out.bounds.append(value)


def _walk(annotation: Any, out: Expected, *, top: bool = False) -> None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        for arg in args:
            if arg is type(None):
                out.nullable = out.nullable or top
            else:
                _walk(arg, out, top=top)
    elif origin is typing.Annotated:
        _constraints(list(args[1:]), out)
        _walk(args[0], out, top=top)
    elif origin is typing.Literal:
        out.words.add("string" if all(isinstance(a, str) for a in args) else "integer")
        out.choices.extend(str(a) for a in args)
    elif origin is list:
        out.words.add("array")
        for arg in args:
            _walk(arg, out)
    elif origin is dict:
        out.words.add("object")
        if len(args) == 2:
            _walk(args[1], out)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        out.words.add("string")
        out.choices.extend(str(m.value) for m in annotation)
    elif annotation is bool:
        out.words.add("boolean")
    elif annotation is int:
        out.words.add("integer")
    elif annotation is float:
        out.words.add("number")
    elif annotation is str:
        out.words.add("string")


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text.lower()) is not None


def _has_number(text: str, number: int) -> bool:
    plain = re.sub(r"(?<=\d)[,_\u202f\u00a0 ](?=\d{3}(?!\d))", "", text)
    return re.search(rf"(?<![\d.]){number}(?!\d)", plain) is not None


def field_problems(kind: str, name: str, model: type[BaseModel], doc: Message, skip: set[str]) -> list[str]:
    """Everything that differs between ``model``'s fields and the documented rows."""
    problems = list(doc.problems)
    model_fields = {f: info for f, info in model.model_fields.items() if f not in skip}
    if doc.rows is None:
        if model_fields:
            problems.append(
                f"protocol.md says 'No fields.' for {kind} {name!r}, but the model has {sorted(model_fields)}"
            )
        return problems
    if not doc.rows and not model_fields:
        problems.append(f"protocol.md: {kind} {name!r} has no fields: write 'No fields.' instead of a table")
    rows = {row.field: row for row in doc.rows}
    for field in model_fields.keys() - rows.keys():
        problems.append(f"protocol.md lacks field {field!r} of {kind} {name!r}")
    for field in rows.keys() - model_fields.keys():
        problems.append(f"protocol.md documents field {field!r} of {kind} {name!r}, which the model lacks")
    for field in sorted(model_fields.keys() & rows.keys()):
        info, row = model_fields[field], rows[field]
        want = expected(info)
        where = f"field {field!r} of {kind} {name!r} (type cell {row.type!r})"
        for word in sorted(want.words):
            if not _has_word(row.type, word):
                problems.append(f"protocol.md: {where} should say {word!r}")
        if len(want.words) == 1 and want.words <= SCALARS:
            wrong = sorted(w for w in SCALARS - want.words if _has_word(row.type, w))
            if wrong:
                problems.append(f"protocol.md: {where} says {wrong}, but the model has {sorted(want.words)}")
        says_null = "or null" in row.type.lower()
        if want.nullable and not says_null:
            problems.append(f"protocol.md: {where} should say 'or null': the model accepts null")
        if says_null and not want.nullable:
            problems.append(f"protocol.md: {where} says 'or null', but the model does not accept null")
        says_optional = _has_word(row.type, "optional")
        if not info.is_required() and not says_optional:
            problems.append(f"protocol.md: {where} should say 'optional': the model has a default")
        if info.is_required() and says_optional:
            problems.append(f"protocol.md: {where} says 'optional', but the model requires it")
        text = f"{row.type} {row.meaning}"
        for bound in want.bounds:
            if not _has_number(text, bound):
                problems.append(f"protocol.md: {where} does not mention its limit {bound}")
        for choice in want.choices:
            if f"`{choice}`" not in text:
                problems.append(f"protocol.md: {where} does not list the allowed value `{choice}`")
    return problems


def compare(kind: str, section_name: str, models: dict[str, type[BaseModel]], skip: set[str]) -> list[str]:
    documented = messages(section_name)
    problems = []
    for name in sorted(models.keys() - documented.keys()):
        problems.append(
            f"protocol.md lacks {kind} {name!r} (a '#### `{name}`' heading under '## {section_name}')"
        )
    for name in sorted(documented.keys() - models.keys()):
        problems.append(
            f"protocol.md documents {kind} {name!r} under '## {section_name}', but no model has it"
        )
    for name in sorted(models.keys() & documented.keys()):
        problems.extend(field_problems(kind, name, models[name], documented[name], skip))
    return problems


def report(problems: list[str]) -> str:
    return "\n".join(problems)


# -- the messages ------------------------------------------------------------------------------------


def test_every_command_is_documented_with_its_fields() -> None:
    problems = compare("command", "Commands", dict(p.COMMAND_MODELS), skip={"id", "type"})
    assert not problems, report(problems)


def test_every_event_is_documented_with_its_data_fields() -> None:
    problems = compare("event", "Events", dict(events.EVENT_MODELS), skip=set())
    assert not problems, report(problems)


def test_every_signal_is_documented_with_its_data_fields() -> None:
    problems = compare("signal", "Signals", dict(p.SIGNAL_MODELS), skip=set())
    assert not problems, report(problems)


def test_close_codes_match() -> None:
    found = tables(section("Close codes"), ("code", "meaning"))
    assert len(found) == 1, "protocol.md needs one '| code | meaning |' table under '## Close codes'"
    documented = [cells[0].strip("`") for cells in found[0]]
    problems = []
    for number in sorted(set(p.CLOSE_CODES) - {int(c) for c in documented if c.isdigit()}):
        problems.append(f"protocol.md lacks close code {number} ({p.CLOSE_CODES[number]})")
    for cell in documented:
        if not cell.isdigit() or int(cell) not in p.CLOSE_CODES:
            problems.append(f"protocol.md's close-code table has {cell!r}, which CLOSE_CODES lacks")
    if len(documented) != len(set(documented)):
        problems.append("protocol.md's close-code table lists a code twice")
    assert not problems, report(problems)


def test_version_and_changelog() -> None:
    text = doc_text()
    version = p.PROTOCOL_VERSION
    assert re.search(rf"^Protocol version: {version}$", text, flags=re.M), (
        f"protocol.md must state the current version on a line 'Protocol version: {version}'"
    )
    changelog = section("Changelog")
    assert re.search(rf"^### {version} — \d{{4}}-\d{{2}}-\d{{2}}: \S", changelog, flags=re.M), (
        f"protocol.md's changelog lacks an entry '### {version} — YYYY-MM-DD: …' for version {version}"
    )


# -- error codes --------------------------------------------------------------------------------------


def command_error_codes() -> set[str]:
    realtime = json.loads((PACKAGE / "locales" / "vi" / "realtime.json").read_text(encoding="utf-8"))
    codes = {key.removeprefix("error.") for key in realtime if key.startswith("error.")}
    codes |= raised_codes(PACKAGE / "services" / "live.py")
    for relative, functions in REACHED_FROM_COMMANDS.items():
        codes |= raised_codes(PACKAGE / relative, functions)
    return codes | {"internal_error"}


def test_every_error_code_a_command_can_get_is_documented() -> None:
    codes = command_error_codes()
    assert {"frame_too_large", "speaker_already_queued", "secretary_required"} <= codes  # the scan works
    body = section("Error codes")
    documented = {
        cells[0].strip("`") for table in tables(body, ("code", "params", "meaning")) for cells in table
    }
    problems = [f"protocol.md's '## Error codes' lacks `{code}`" for code in sorted(codes - documented)]
    known = catalog("vi")
    problems += [
        f"protocol.md's '## Error codes' has `{code}`, which has no message (no error.{code} in locales/vi)"
        for code in sorted(documented)
        if f"error.{code}" not in known
    ]
    assert not problems, report(problems)


# -- the examples -------------------------------------------------------------------------------------


def _validate(model: type[BaseModel], data: Any, what: str) -> list[str]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [f"protocol.md: {what} does not match its model: {exc.errors()[0]}"]
    return []


def snapshot_problems(frame: dict[str, Any]) -> list[str]:
    problems = []
    if set(frame) != {"v", "type", "seq", "epoch", "data"}:
        problems.append(f"protocol.md: a snapshot example has the keys {sorted(frame)}")
    data = frame.get("data", {})
    if set(data) != {"meeting", "live", "me"}:
        return [*problems, f"protocol.md: a snapshot example's data has the keys {sorted(data)}"]
    for participant in data["meeting"].get("participants", []):
        problems += _validate(events.ParticipantData, participant, "a participant of the snapshot example")
    for item in data["meeting"].get("agenda", []):
        children = item.get("children")
        if not isinstance(children, list):
            problems.append("protocol.md: a top-level agenda item of the snapshot example lacks 'children'")
            children = []
        top = {k: v for k, v in item.items() if k != "children"}
        problems += _validate(events.AgendaItemData, top, "an agenda item of the snapshot example")
        for child in children:
            problems += _validate(events.AgendaItemData, child, "a sub-item of the snapshot example")
    return problems


def frame_problems(frame: Any, *, sent: bool) -> list[str]:
    """What is wrong with one example frame; frames of other kinds (HTTP bodies) pass."""
    if not isinstance(frame, dict):
        return []
    what = json.dumps(frame, ensure_ascii=False)[:100]
    kind = frame.get("type")
    if sent or ("id" in frame and kind in p.COMMAND_MODELS and "v" not in frame):
        try:
            p.COMMAND_ADAPTER.validate_python(frame)
        except ValidationError as exc:
            return [f"protocol.md: the command example {what} is refused: {exc.errors()[0]['msg']}"]
        return []
    if kind == "result":
        outcome = "result" if frame.get("ok") is True else "error"
        problems = []
        if set(frame) != {"type", "id", "ok", outcome}:
            problems.append(f"protocol.md: the result example {what} has the keys {sorted(frame)}")
        if outcome == "error":
            error = frame.get("error", {})
            if set(error) != {"code", "message", "params"}:
                problems.append(f"protocol.md: the error example {what} has the error keys {sorted(error)}")
            if f"error.{error.get('code')}" not in catalog("vi"):
                problems.append(f"protocol.md: the error example {what} has an unknown code")
        return problems
    if kind == "snapshot":
        problems = snapshot_problems(frame)
    elif "seq" in frame:
        if set(frame) != {"v", "seq", "type", "ts", "data"}:
            return [f"protocol.md: the event example {what} has the keys {sorted(frame)}"]
        if kind not in events.EVENT_MODELS:
            return [f"protocol.md: the event example {what} has an undeclared type"]
        problems = _validate(events.EVENT_MODELS[kind], frame["data"], f"the event example {what}")
        if not str(frame["ts"]).endswith("Z"):
            problems.append(f"protocol.md: the event example {what} has a ts that is not UTC ('…Z')")
    elif "v" in frame:
        if set(frame) != {"v", "type", "data"} or kind not in p.SIGNAL_MODELS:
            return [f"protocol.md: the signal example {what} is not a declared signal"]
        problems = _validate(p.SIGNAL_MODELS[kind], frame["data"], f"the signal example {what}")
    else:
        return []
    if frame.get("v") != p.PROTOCOL_VERSION:
        problems.append(f"protocol.md: the example {what} has v={frame.get('v')}, not {p.PROTOCOL_VERSION}")
    return problems


def fenced_blocks(text: str) -> Iterator[tuple[str, str]]:
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S):
        yield match.group(1), match.group(2)


def example_problems(text: str) -> list[str]:
    """Every ```json block is one valid frame (or another JSON body); in ```text blocks,
    lines "→ {…}" are commands and "← {…}" server frames. A command answered in the same
    block by an error result may be invalid on purpose."""
    problems = []
    for language, body in fenced_blocks(text):
        if language == "json":
            try:
                problems += frame_problems(json.loads(body), sent=False)
            except ValueError as exc:
                problems.append(f"protocol.md: a json example is not JSON ({exc}): {body[:80]!r}")
        elif language == "text":
            lines = [(line[:1], line[1:].strip()) for line in body.splitlines() if line[:1] in "→←" and line]
            frames = []
            for arrow, raw in lines:
                try:
                    frames.append((arrow, json.loads(raw)))
                except ValueError as exc:
                    problems.append(f"protocol.md: an example frame is not JSON ({exc}): {raw[:80]!r}")
            refused = {
                f.get("id") for a, f in frames if a == "←" and f.get("type") == "result" and not f.get("ok")
            }
            for arrow, frame in frames:
                if arrow == "→" and frame.get("id") in refused:
                    continue
                problems += frame_problems(frame, sent=arrow == "→")
    return problems


def test_examples_are_valid_frames() -> None:
    text = doc_text()
    assert sum(1 for language, _ in fenced_blocks(text) if language == "json") >= 5  # the parser works
    problems = example_problems(text)
    assert not problems, report(problems)


def shape_problems(doc: Any, real: Any, path: str) -> list[str]:
    """Keys that differ between two JSON values, wherever both have an object or a list."""
    if isinstance(doc, dict) and isinstance(real, dict):
        problems = []
        for key in sorted(real.keys() - doc.keys()):
            problems.append(f"protocol.md's snapshot example lacks {path}.{key}")
        for key in sorted(doc.keys() - real.keys()):
            problems.append(f"protocol.md's snapshot example has {path}.{key}, which a real snapshot lacks")
        for key in sorted(doc.keys() & real.keys()):
            problems += shape_problems(doc[key], real[key], f"{path}.{key}")
        return problems
    if isinstance(doc, list) and isinstance(real, list) and doc and real:
        return shape_problems(doc[0], real[0], f"{path}[0]")
    return []


@pytest.fixture
def real_snapshot(settings: Settings) -> Iterator[dict[str, Any]]:
    """A delegate's snapshot of a running meeting with everything live set."""
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        office = companion(base)
        login(office, "office")
        meeting = prepared_meeting(office, world)
        mid, first = meeting["id"], meeting["agenda"][0]["id"]
        r = office.post(f"/api/meetings/{mid}/agenda", json={"title": "Phụ lục", "parent_id": first})
        assert r.status_code == 201, r.text
        secretary = companion(base)
        login(secretary, "secretary")
        assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
        tablet = companion(base)
        delegate = meeting["participants"][2]["id"]
        join_tablet(tablet, office, mid, delegate)
        document = upload_document(office, mid, blank_pdf(3), title="Tờ trình")
        console = Peer(secretary, mid)
        try:
            console.hello()
            for type_, fields in [
                ("agenda.open_item", {"item_id": first}),
                ("presenter.show_page", {"document_id": document["id"], "page": 2}),
                ("timer.start", {"seconds": 60, "label": "Phát biểu"}),
                ("announcement.make", {"text": "Giải lao"}),
                ("speaker.grant", {"participant_id": delegate}),
            ]:
                assert console.call(type_, **fields)["ok"], type_
            peer = Peer(tablet, mid)
            try:
                peer.hello()
                peer.sync()
                yield peer.snapshots[0]
            finally:
                peer.close()
        finally:
            console.close()


def test_snapshot_example_has_the_shape_of_a_real_snapshot(real_snapshot: dict[str, Any]) -> None:
    examples = [
        json.loads(body)
        for language, body in fenced_blocks(doc_text())
        if language == "json" and '"type": "snapshot"' in body
    ]
    assert len(examples) == 1, "protocol.md needs exactly one full snapshot example (a ```json block)"
    problems = shape_problems(examples[0], real_snapshot, "snapshot")
    assert not problems, report(problems)
