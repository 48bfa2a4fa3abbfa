"""Conclusion notices as files: one layout model, two writers, and the digital signature.

    draft = phonghop.domain.notice.draft_notice(record, body, settings, issue_date)
    doc = build_document(draft, body, settings)   # layout-neutral blocks
    pdf, docx = write_pdf(doc), write_docx(doc)   # same layout in both
    signed = sign_pdf(pdf, pkcs12, passphrase, reason="…", location="Gia Lai")
    verify_pdf_signature(signed, trust_roots).ok

The drafting rules (wording, numbers, dates, settings) live in
:mod:`phonghop.domain.notice`; this package only lays out and writes.
"""

from phonghop.notices.docx import write_docx
from phonghop.notices.model import NoticeDocument, build_document
from phonghop.notices.pdf import write_pdf
from phonghop.notices.signing import SignatureCheck, sign_pdf, verify_pdf_signature

__all__ = [
    "NoticeDocument",
    "SignatureCheck",
    "build_document",
    "sign_pdf",
    "verify_pdf_signature",
    "write_docx",
    "write_pdf",
]
