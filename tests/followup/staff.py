"""The units of the test body and their users, made through the administrator's API:
"Sở Tài chính" (user ``taichinh``), "Sở Nội vụ" (user ``noivu``), "Văn phòng Tỉnh ủy"
(user ``vanphong_tu``, a member of the office's own unit); plus a few files of each type
a unit may attach to its report."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from openpyxl import Workbook
from starlette.testclient import TestClient

from tests.factories import PASSWORD, companion, login

UNITS = {"taichinh": "Sở Tài chính", "noivu": "Sở Nội vụ", "vanphong_tu": "Văn phòng Tỉnh ủy"}


@dataclass
class Staff:
    units: dict[str, int]  # unit name -> id
    users: dict[str, int]  # username -> id
    clients: dict[str, TestClient]  # username -> signed-in client


def add_unit_staff(base: TestClient, admin: TestClient) -> Staff:
    """Units and one signed-in member per unit (before the notice is issued or after:
    tasks are linked to units either way)."""
    units: dict[str, int] = {}
    users: dict[str, int] = {}
    clients: dict[str, TestClient] = {}
    for username, unit in UNITS.items():
        r = admin.post("/api/units", json={"name": unit})
        assert r.status_code == 201, r.text
        units[unit] = r.json()["id"]
        r = admin.post(
            "/api/users",
            json={
                "username": username,
                "full_name": f"Cán bộ {unit}",
                "role": "member",
                "password": PASSWORD,
                "unit_id": units[unit],
            },
        )
        assert r.status_code == 201, r.text
        users[username] = r.json()["id"]
        client = companion(base)
        login(client, username)
        clients[username] = client
    return Staff(units, users, clients)


PDF = b"%PDF-1.4\n% bao cao ket qua\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"


def docx_bytes(text: str = "Báo cáo kết quả thực hiện") -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "Số liệu giải ngân"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
