"""An issued notice as an edXML package, the file state agencies' document systems take.

Document-management systems (QLVB) exchange documents under Quyết định 28/2018/QĐ-TTg as
edXML packages (QCVN 102:2016/BTTTT): one XML file holding the document's metadata and
its files in base64. :func:`write_package` writes the package of one issued notice from
an :class:`EdxmlNotice`; the same input gives the same bytes (no clock, no random id:
the attachment's id is derived from the PDF's digest). :func:`check_package` validates a
package against ``schema/edxml.xsd``, the schema phonghop keeps for what it writes
(docs/notices.md says which parts of the standard are covered).
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from lxml import etree

__all__ = [
    "AGENCY_CODE",
    "NAMESPACE",
    "EdxmlNotice",
    "Recipient",
    "check_package",
    "document_id",
    "write_package",
]

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
#: Mã định danh of an agency (Quyết định 20/2020/QĐ-TTg): "000.00.00.H41".
AGENCY_CODE = re.compile(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}")
#: The document type "Thông báo": 7th in the list of administrative documents of Nghị
#: định 30/2020/NĐ-CP, Điều 7 (abbreviations in Phụ lục III), by which document systems
#: number types (the packages they send give "Công văn", 18th, as 18).
NOTICE_TYPE = 7
NOTICE_TYPE_NAME = "Thông báo"
_SCHEMA = Path(__file__).with_name("schema") / "edxml.xsd"
_PDF = "application/pdf"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Recipient:
    """An agency the package is addressed to: its code and its name."""

    code: str
    name: str


@dataclass(frozen=True)
class EdxmlNotice:
    """What the package says about an issued notice.

    ``code_notation`` is the symbol after the number ("TB/TU", "TB-UBND"); ``places`` are
    the "Nơi nhận" lines as printed (without the file copy); ``recipients`` the agencies
    among them whose code is known; ``priority`` 0 (thường) to 4 (hỏa tốc hẹn giờ).
    """

    agency_code: str
    agency_name: str
    agency_in_charge: str
    number: int
    code_notation: str
    place: str
    issue_date: date
    issued_at: datetime
    subject: str
    content: str
    signer_competence: str
    signer_position: str
    signer_name: str
    places: tuple[str, ...]
    recipients: tuple[Recipient, ...]
    pdf: bytes
    pdf_name: str
    page_count: int
    priority: int = 0


def document_id(agency_code: str, issue_date: date, number: int, code_notation: str) -> str:
    """The document's id across systems: "000.00.00.H41,2026/12/07,12/TB-UBND"."""
    return f"{agency_code},{issue_date:%Y/%m/%d},{number}/{_nfc(code_notation)}"


def _content_id(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()[:32] + "@phonghop"


class _Writer:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{NAMESPACE}}}edXML", nsmap={"edXML": NAMESPACE})

    @staticmethod
    def add(parent: etree._Element, name: str, text: str | int | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
        if text is not None:
            element.text = _nfc(str(text))
        return element

    def organization(self, parent: etree._Element, name: str, code: str, organ: str, in_charge: str) -> None:
        element = self.add(parent, name)
        self.add(element, "OrganId", code)
        if in_charge.strip():
            self.add(element, "OrganizationInCharge", in_charge)
        self.add(element, "OrganName", organ)


def write_package(notice: EdxmlNotice) -> bytes:
    """The edXML package of an issued notice, UTF-8, with its signed PDF in base64."""
    w = _Writer()
    envelope = w.add(w.root, "edXMLEnvelope")
    header = w.add(envelope, "edXMLHeader")
    message = w.add(header, "MessageHeader")
    w.organization(message, "From", notice.agency_code, notice.agency_name, notice.agency_in_charge)
    for recipient in notice.recipients:
        w.organization(message, "To", recipient.code, recipient.name, "")
    code = w.add(message, "Code")
    w.add(code, "CodeNumber", notice.number)
    w.add(code, "CodeNotation", notice.code_notation)
    promulgation = w.add(message, "PromulgationInfo")
    w.add(promulgation, "Place", notice.place)
    w.add(promulgation, "PromulgationDate", f"{notice.issue_date:%Y/%m/%d}")
    doc_type = w.add(message, "DocumentType")
    w.add(doc_type, "Type", NOTICE_TYPE)
    w.add(doc_type, "TypeName", NOTICE_TYPE_NAME)
    w.add(message, "Subject", notice.subject)
    w.add(message, "Content", notice.content)
    signer = w.add(message, "SignerInfo")
    if notice.signer_competence.strip():
        w.add(signer, "Competence", notice.signer_competence)
    w.add(signer, "Position", notice.signer_position)
    w.add(signer, "FullName", notice.signer_name)
    to_places = w.add(message, "ToPlaces")
    for place in notice.places:
        w.add(to_places, "Place", place)
    other = w.add(message, "OtherInfo")
    w.add(other, "Priority", notice.priority)
    w.add(other, "PageAmount", notice.page_count)
    w.add(message, "SteeringType", 0)
    w.add(
        message,
        "DocumentId",
        document_id(notice.agency_code, notice.issue_date, notice.number, notice.code_notation),
    )
    traces = w.add(header, "TraceHeaderList")
    trace = w.add(traces, "TraceHeader")
    w.add(trace, "OrganId", notice.agency_code)
    w.add(trace, "Timestamp", f"{notice.issued_at:%Y/%m/%d %H:%M:%S}")
    business = w.add(traces, "Bussiness")
    w.add(business, "BussinessDocType", 0)  # a new document
    w.add(business, "BussinessDocReason", "Văn bản điện tử mới")
    w.add(business, "Paper", 0)  # no paper copy follows
    body = w.add(envelope, "edXMLBody")
    manifest = w.add(body, "edXMLManifest")
    manifest.set("version", "1.0")
    content_id = _content_id(notice.pdf)
    description = f"{NOTICE_TYPE_NAME} {notice.number}/{notice.code_notation}"
    reference = w.add(manifest, "Reference")
    w.add(reference, "ContentId", f"cid:{content_id}")
    w.add(reference, "ContentType", _PDF)
    w.add(reference, "AttachmentName", notice.pdf_name)
    w.add(reference, "Description", description)
    attachments = w.add(w.root, "AttachmentEncoded")
    attachment = w.add(attachments, "Attachment")
    w.add(attachment, "ContentId", content_id)
    w.add(attachment, "AttachmentName", notice.pdf_name)
    w.add(attachment, "Description", description)
    w.add(attachment, "ContentType", _PDF)
    w.add(attachment, "ContentTransferEncoding", "base64")
    w.add(attachment, "ContentTransferEncoded", base64.b64encode(notice.pdf).decode("ascii"))
    out: bytes = etree.tostring(w.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_SCHEMA)))


def check_package(package: bytes) -> list[str]:
    """The schema's complaints about a package: empty when it is valid."""
    schema = _schema()
    try:
        document = etree.fromstring(package, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
