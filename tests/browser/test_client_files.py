"""Static checks of client_web/: translations complete, no inline code, nothing remote.

These read the files only (no browser), so they run everywhere. The strings the
client builds from a server value (``t(`state.${state}`)``) are checked against the
server's own enums, so a new state or role without a label fails here.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from phonghop.domain.meeting import Attendance, Classification, MeetingAction, MeetingState
from phonghop.domain.notice_edits import STATES as NOTICE_STATES
from phonghop.domain.permissions import MeetingRole, UserRole
from phonghop.domain.poll import PollOutcome, PollState, PollType, standard_options

CLIENT = Path(__file__).resolve().parents[2] / "client_web"
CATALOGS = {lang: CLIENT / "i18n" / f"{lang}.json" for lang in ("vi", "en")}
JS_FILES = sorted(CLIENT.rglob("*.js"))
HTML_FILES = sorted(CLIENT.rglob("*.html"))
TEXT_FILES = sorted(
    p for p in CLIENT.rglob("*") if p.suffix in {".js", ".html", ".css", ".json", ".svg", ".webmanifest"}
)

# Keys built at run time from a value, and the values they are built from.
DYNAMIC_KEYS: dict[str, set[str]] = {
    "action.{}": {a.value for a in MeetingAction},
    "devices.proof_{}": {"personal_code", "account", "confirmed"},  # console/devices.js, a session's proof
    "action_done.{}": {a.value for a in MeetingAction},
    "confirm.{}.title": {"close", "cancel"},  # console/meeting.js CONFIRMED_ACTIONS
    "confirm.{}.message": {"close", "cancel"},
    "state.{}": {s.value for s in MeetingState},
    "classification.{}": {c.value for c in Classification},
    "meeting_role.{}": {r.value for r in MeetingRole},
    "user_role.{}": {r.value for r in UserRole},
    "attendance.{}": {a.value for a in Attendance},
    "rollcall.tally.{}": {a.value for a in Attendance},
    "rollcall.mark.{}": {a.value for a in Attendance if a is not Attendance.UNKNOWN},
    "tab.{}": {
        "agenda",
        "participants",
        "invitations",
        "documents",
        "attendance",
        "conclusions",
        "join",
        "details",
    },
    # console/invitations.js: the answers, the confirmation table's states, a substitute's state
    "invitations.answer.{}": {"confirmed", "absent", "substitute"},
    "invitations.state.{}": {"invited", "confirmed", "absent", "substitute"},
    "invitations.substitute.{}": {"pending", "accepted", "refused"},
    # tablet/invitation.js: the delegate's own answer, its choices and what a form lacks
    "tablet.invitation.state.{}": {"invited", "confirmed", "absent", "substitute"},
    "tablet.invitation.substitute.{}": {"pending", "accepted", "refused"},
    "tablet.invitation.choose.{}": {"confirmed", "absent", "substitute"},
    "tablet.invitation.missing.{}": {"reason", "substitute_name", "substitute_title"},
    "notices.state.{}": set(NOTICE_STATES),
    "admin.layout.{}": {  # console/admin.js LAYOUT_FIELDS
        "margin_top_mm",
        "margin_bottom_mm",
        "margin_left_mm",
        "margin_right_mm",
        "size_title",
        "size_body",
        "size_recipients",
        "first_line_indent_mm",
        "line_spacing",
        "signature_space_mm",
    },
    "admin.authority.{}": {"on_behalf", "deputy", "by_order", "delegated"},
    "admin.format.{}": {"party", "state"},
    "polls.state.{}": {s.value for s in PollState},
    "annotate.tool.{}": {"pen", "highlighter", "note", "eraser"},  # tablet/annotate.js TOOLS
    "polls.majority.{}": {  # console/run/polls.js POLL_MAJORITIES
        "more_than_half_of_members",
        "more_than_half_of_present",
        "more_than_half_of_valid_ballots",
        "two_thirds_of_members",
    },  # console/meeting.js TABS
    "documents.hint.{}": {"document_not_pdf", "document_too_large", "pdf_encrypted", "pdf_malformed"},
    "documents.access.{}": {"all", "named", "roles"},
    "documents.audit.{}": {
        "added",
        "version_added",
        "updated",
        "recalled",
        "downloaded",
        "page_served",
        "page_viewed",
        "submitted",
        "approved",
        "returned",
        "published",
    },
    "poll.option.{}": {o.id for kind in PollType for o in standard_options(kind)},
    "poll.outcome.{}": {o.value for o in PollOutcome},
    # console/documents.js and drafts.js: a draft's review state and the office's review actions
    "review.state.{}": {"submitted", "approved", "returned", "published"},
    "review.{}": {"approve", "return", "publish"},
    "review.done.{}": {"approve", "return", "publish"},
    "drafts.state_hint.{}": {"submitted", "approved", "returned", "published"},
    # console/tasks.js: a task's stored state, its dashboard status, history entries, exports
    "tasks.state.{}": {"open", "in_progress", "done", "cancelled"},
    "tasks.status.{}": {"not_started", "in_progress", "overdue", "done_on_time", "done_late", "cancelled"},
    "tasks.kind.{}": {"created", "update", "progress", "reported_done", "accepted", "reopened"},
    "tasks.export_{}": {"docx", "xlsx"},
    # console/opinions.js and comments.js: answers to a consultation, answers to a comment
    "opinions.choice.{}": {"agree", "disagree", "other"},
    "comments.kind.{}": {"accepted", "explained", "rejected"},
    "comments.source.{}": {"opinion", "annotation"},
    # console/statistics.js: meeting states, task statuses, notice formats, document figures
    "statistics.meeting_state.{}": {"held", "scheduled", "in_progress", "cancelled"},
    "statistics.task_status.{}": {
        "done_on_time",
        "done_late",
        "overdue",
        "in_progress",
        "not_started",
        "cancelled",
    },
    "statistics.format.{}": {"party", "state"},
    "statistics.documents.{}": {"documents", "pages", "pages_not_printed", "reams"},
}
# Vietnamese words written without any diacritic (for the check below).
VIETNAMESE_PLAIN = {"trang", "sau", "xong"}
# XML namespace names are identifiers that are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}

T_CALL = re.compile(r"\bt\(([^()]*?)(?:,|\))", re.S)
STRING = re.compile(r'"([a-z_]+(?:\.[a-z_]+)+)"')
TEMPLATE = re.compile(r"`([a-z_.]*)\$\{[^}]+\}([a-z_.]*)`")
DATA_I18N = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"')


def catalog(lang: str) -> dict[str, str]:
    data = json.loads(CATALOGS[lang].read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def used_keys() -> tuple[set[str], set[str]]:
    """(literal keys, dynamic templates) used by the JS and HTML."""
    literal: set[str] = set()
    templates: set[str] = set()
    for path in JS_FILES:
        source = path.read_text(encoding="utf-8")
        for call in T_CALL.finditer(source):
            argument = call.group(1)
            literal.update(STRING.findall(argument))
            templates.update(f"{a}{{}}{b}" for a, b in TEMPLATE.findall(argument))
    for path in HTML_FILES:
        literal.update(DATA_I18N.findall(path.read_text(encoding="utf-8")))
    return literal, templates


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert sorted(set(vi) ^ set(en)) == []
    placeholder = re.compile(r"\{(\w+)\}")
    for key in vi:
        assert vi[key].strip() and en[key].strip(), key
        assert set(placeholder.findall(vi[key])) == set(placeholder.findall(en[key])), key


def test_vietnamese_catalog_is_written_with_diacritics() -> None:
    vi = catalog("vi")
    assert vi["login.title"] == "Đăng nhập"
    assert vi["tab.agenda"] == "Chương trình họp"
    assert vi["tab.participants"] == "Thành phần tham dự"
    assert vi["join.code_label"] == "Mã tham dự"
    assert vi["action.start"] == "Bắt đầu cuộc họp"
    assert vi["attendance.present"] == "Có mặt"
    assert vi["meetings.empty_office"] == "Chưa có cuộc họp nào — tạo cuộc họp đầu tiên"
    words = {k: re.sub(r"\{\w+\}", "", v) for k, v in vi.items()}  # placeholders are not text
    ascii_only = {k: v for k, v in words.items() if v.isascii() and re.search(r"[a-z]{3}", v)}
    assert ascii_only.pop("language.switch") == "English"  # written the same in Vietnamese
    # Some Vietnamese words have no diacritics ("trang" page, "sau" next, "xong" done);
    # a string of ASCII letters is allowed only when it is made of such words.
    plain = {k: v for k, v in ascii_only.items() if set(re.findall(r"[a-z]+", v.lower())) - VIETNAMESE_PLAIN}
    assert plain == {}


def test_every_key_the_client_uses_exists_and_every_key_is_used() -> None:
    vi = catalog("vi")
    literal, templates = used_keys()
    assert literal, "no t(...) call found: the pattern no longer matches the code"
    assert sorted(literal - set(vi)) == []
    assert sorted(templates - set(DYNAMIC_KEYS)) == [], "add new dynamic keys to DYNAMIC_KEYS"
    generated = {template.format(value) for template in templates for value in DYNAMIC_KEYS[template]}
    assert sorted(generated - set(vi)) == []
    assert sorted(set(vi) - literal - generated) == []  # no dead strings


class _PageChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: inline event handler")
        if "style" in names:
            self.problems.append(f"<{tag} style=...>: inline style")
        if tag == "script":
            self.in_script = "src" not in names
        if tag == "style":
            self.problems.append("<style> element: inline style sheet")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append("inline <script> with content")


def html_problems(html: str) -> list[str]:
    """What a strict CSP (script-src 'self'; style-src 'self') would block in a page."""
    checker = _PageChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


def test_html_has_no_inline_script_handler_or_style() -> None:
    assert HTML_FILES
    for path in HTML_FILES:
        assert html_problems(path.read_text(encoding="utf-8")) == [], path


def test_checker_catches_what_csp_would_block() -> None:
    assert html_problems('<script>alert(1)</script><button onclick="x()">a</button><p style="">') == [
        "inline <script> with content",
        "<button onclick=...>: inline event handler",
        "<p style=...>: inline style",
    ]
    assert html_problems('<script type="module" src="app.js"></script>') == []


def test_nothing_is_loaded_from_another_host() -> None:
    url = re.compile(r"https?://[^\s\"'`)<>]+")
    found = {
        f"{path.relative_to(CLIENT)}: {m}"
        for path in TEXT_FILES
        for m in url.findall(path.read_text(encoding="utf-8"))
        if m not in NAMESPACES
    }
    assert sorted(found) == []
    for path in TEXT_FILES:
        text = path.read_text(encoding="utf-8")
        assert "//" not in re.findall(r"""(?:src|href)=["'](//)""", text), path  # protocol-relative
        assert "@import" not in text and "@font-face" not in text, path


def test_javascript_never_parses_strings_as_html_or_code() -> None:
    banned = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    for path in JS_FILES:
        assert banned.findall(path.read_text(encoding="utf-8")) == [], path


def test_local_references_point_at_files_that_exist() -> None:
    reference = re.compile(r"""(?:src|href)=["']([^"'#:]+)["']""")
    module = re.compile(r"""(?:import|from)\s+["'](\.[^"']+)["']""")
    css_url = re.compile(r"""url\(["']?([^"')]+)["']?\)""")
    for path in HTML_FILES:
        for ref in reference.findall(path.read_text(encoding="utf-8")):
            assert (path.parent / ref).resolve().exists(), f"{path.name}: {ref}"
    for path in JS_FILES:
        for ref in module.findall(path.read_text(encoding="utf-8")):
            assert (path.parent / ref).resolve().is_file(), f"{path.name}: {ref}"
    for path in CLIENT.rglob("*.css"):
        for ref in css_url.findall(path.read_text(encoding="utf-8")):
            assert (path.parent / ref).resolve().is_file(), f"{path.name}: {ref}"


def test_tablet_manifest_is_installable_offline() -> None:
    folder = CLIENT / "tablet"
    manifest = json.loads((folder / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "./"
    assert manifest["lang"] == "vi"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        data = (folder / icon["src"]).read_bytes()
        if icon["type"] == "image/png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"], icon["src"]


def _tablet_dependencies() -> set[Path]:
    """Every module and style sheet the tablet page loads, following the imports."""
    folder = CLIENT / "tablet"
    html = (folder / "index.html").read_text(encoding="utf-8")
    found: set[Path] = set()
    todo = [(folder / ref).resolve() for ref in re.findall(r"""(?:src|href)=["']([^"'#:]+)["']""", html)]
    module = re.compile(r"""(?:import|from)\s+["'](\.[^"']+)["']""")
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        if path.suffix == ".js":
            todo.extend(
                (path.parent / ref).resolve() for ref in module.findall(path.read_text(encoding="utf-8"))
            )
    return found


def test_service_worker_caches_the_whole_tablet_shell() -> None:
    """Offline, the tablet starts only if every file it loads is in the worker's shell list."""
    folder = CLIENT / "tablet"
    source = (folder / "sw.js").read_text(encoding="utf-8")
    listed = re.search(r"const SHELL = \[(.*?)\];", source, re.S)
    assert listed
    shell = {(folder / name).resolve() for name in re.findall(r'"([^"]+)"', listed.group(1)) if name != "./"}
    assert all(p.is_file() for p in shell), sorted(str(p) for p in shell if not p.is_file())
    needed = _tablet_dependencies() | {(CLIENT / "i18n" / f"{lang}.json").resolve() for lang in CATALOGS}
    missing = sorted(str(p.relative_to(CLIENT)) for p in needed - shell)
    assert missing == []
    assert (folder / "sw.js").resolve() not in shell  # the worker is never served from its own cache
