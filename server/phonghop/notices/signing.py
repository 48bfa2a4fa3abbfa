"""Digital signature of an issued notice (ký số): PAdES with pyHanko, fully offline.

:func:`sign_pdf` signs with a key and certificate from a PKCS#12 file (the issuing
office's signing certificate), as an incremental update that keeps the notice's bytes
untouched, with the PAdES sub-filter (``ETSI.CAdES.detached``) and SHA-256.
:func:`verify_pdf_signature` checks the last signature against the trust roots the
server was configured with: the document is intact, the signature is cryptographically
valid, the signer's chain leads to a trusted root, and nothing was changed after signing.

The system runs on a closed network: no certificate, CRL or OCSP response is ever
fetched (revocation is checked only where the data is embedded, "soft-fail").
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pkcs11 import exceptions as p11e

from phonghop.errors import InvalidInput, Unavailable
from phonghop.notices._pyhanko import (
    IncrementalPdfFileWriter,
    PdfError,
    PdfFileReader,
    SignatureValidationError,
    SigningError,
    TokenCriteria,
    ValidationContext,
    fields,
    load_certs_from_pemder_data,
    pkcs11,
    signers,
    validate_pdf_signature,
)

__all__ = [
    "SignatureCheck",
    "TokenSession",
    "load_pkcs12_signer",
    "open_token",
    "sign_pdf",
    "sign_pdf_with",
    "verify_pdf_signature",
]

SIGNATURE_FIELD = "ChuKySo"


@dataclass(frozen=True)
class SignatureCheck:
    """What a reader needs to know about the last signature of a PDF.

    ``ok`` is the bottom line: intact, valid, trusted and not modified afterwards.
    ``covers_whole_file`` is false when bytes were appended after the signature.
    """

    ok: bool
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    signer: str
    signed_at: datetime | None
    signature_count: int
    summary: str


def load_pkcs12_signer(pkcs12_bytes: bytes, passphrase: str | bytes | None) -> signers.SimpleSigner:
    """The key and certificate of a PKCS#12 file (``notice_signing_key_invalid`` if not)."""
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        signer: signers.SimpleSigner = signers.SimpleSigner.load_pkcs12_data(
            pkcs12_bytes, other_certs=(), passphrase=secret
        )
    except (ValueError, TypeError):
        raise InvalidInput("notice_signing_key_invalid") from None
    return signer


def sign_pdf(
    pdf_bytes: bytes,
    pkcs12_bytes: bytes,
    passphrase: str | bytes | None,
    *,
    reason: str,
    location: str,
) -> bytes:
    """The PDF with a PAdES signature appended as an incremental update.

    ``reason`` and ``location`` go into the signature dictionary ("Ban hành thông báo",
    "Gia Lai"). A wrong passphrase or a file that is not PKCS#12 raises
    ``InvalidInput("notice_signing_key_invalid")``; a PDF pyHanko cannot read raises
    ``InvalidInput("notice_pdf_invalid")``.
    """
    return sign_pdf_with(
        pdf_bytes, load_pkcs12_signer(pkcs12_bytes, passphrase), reason=reason, location=location
    )


class TokenSession:
    """A signer's USB token opened with their PIN: :attr:`signer` signs, :meth:`close`
    logs out. Open it before the notice takes its number; close it after signing."""

    def __init__(self, session: Any, signer: signers.Signer) -> None:
        self._session = session
        self.signer = signer

    def close(self) -> None:
        with contextlib.suppress(p11e.PKCS11Error):  # a token pulled out has nothing left to close
            self._session.close()


def open_token(module_path: str, token_label: str, key_label: str, cert_label: str, pin: str) -> TokenSession:
    """Log in to the token labelled ``token_label`` through the PKCS#11 library at
    ``module_path`` and find the signing certificate, so that every failure comes before
    anything is numbered.

    Raises ``InvalidInput("notice_token_pin_invalid")`` (wrong PIN),
    ``InvalidInput("notice_token_pin_locked")``, or ``Unavailable("notice_token_unavailable")``
    with ``reason``: ``module_unreadable``, ``token_missing``, ``certificate_missing``.
    """
    if not Path(module_path).is_file():
        raise Unavailable("notice_token_unavailable", reason="module_unreadable")
    try:
        session = pkcs11.open_pkcs11_session(
            module_path, token_criteria=TokenCriteria(label=token_label), user_pin=pin
        )
    except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
        raise InvalidInput("notice_token_pin_invalid") from None
    except p11e.PinLocked:
        raise InvalidInput("notice_token_pin_locked") from None
    except (p11e.PKCS11Error, SigningError):  # PKCS11Error is a RuntimeError: first
        raise Unavailable("notice_token_unavailable", reason="token_missing") from None
    except (OSError, RuntimeError, ImportError):
        raise Unavailable("notice_token_unavailable", reason="module_unreadable") from None
    try:
        signer = pkcs11.PKCS11Signer(session, cert_label=cert_label or key_label, key_label=key_label)
        if signer.signing_cert is None:
            raise SigningError("no certificate")
    except (p11e.PKCS11Error, SigningError):
        session.close()
        raise Unavailable("notice_token_unavailable", reason="certificate_missing") from None
    return TokenSession(session, signer)


def sign_pdf_with(pdf_bytes: bytes, signer: signers.Signer, *, reason: str, location: str) -> bytes:
    """The PDF signed by ``signer`` (a PKCS#12 key or a token), as :func:`sign_pdf` does.
    A token that fails while signing raises ``Unavailable("notice_token_unavailable")``."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        out = signers.sign_pdf(writer, meta, signer=signer)
    except (PdfError, ValueError, KeyError) as exc:
        raise InvalidInput("notice_pdf_invalid") from exc
    except (p11e.PKCS11Error, SigningError):
        raise Unavailable("notice_token_unavailable", reason="signing_failed") from None
    return bytes(out.getvalue())


def _certificates(roots: Iterable[bytes]) -> list[Any]:
    """Trust roots given as DER or PEM bytes (a PEM may hold several certificates)."""
    out: list[Any] = []
    try:
        for root in roots:
            out.extend(load_certs_from_pemder_data(root))
    except (ValueError, TypeError):
        raise InvalidInput("notice_trust_root_invalid") from None
    return out


def verify_pdf_signature(pdf_bytes: bytes, trust_roots: Iterable[bytes]) -> SignatureCheck:
    """Check the last signature of a PDF against ``trust_roots``, without network access.

    A PDF without a signature raises ``InvalidInput("notice_pdf_unsigned")``; one that
    cannot be read raises ``InvalidInput("notice_pdf_invalid")``. A tampered file is
    not an error: it comes back with ``ok`` and ``intact`` false.
    """
    context = ValidationContext(
        trust_roots=_certificates(trust_roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError) as exc:
        raise InvalidInput("notice_pdf_invalid") from exc
    if not embedded:
        raise InvalidInput("notice_pdf_unsigned")
    signature = embedded[-1]
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, PdfError, ValueError) as exc:
        return SignatureCheck(
            ok=False,
            intact=False,
            valid=False,
            trusted=False,
            covers_whole_file=False,
            signer="",
            signed_at=None,
            signature_count=len(embedded),
            summary=f"INVALID: {type(exc).__name__}",
        )
    coverage = status.coverage
    whole = coverage is not None and coverage.name == "ENTIRE_FILE"
    return SignatureCheck(
        ok=bool(status.bottom_line),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=whole,
        signer=str(status.signing_cert.subject.human_friendly),
        signed_at=status.signer_reported_dt,
        signature_count=len(embedded),
        summary=str(status.summary()),
    )
