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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pkcs11 import exceptions as p11e

from phonghop.errors import InvalidInput, Unavailable
from phonghop.notices._pyhanko import (
    BoxConstraints,
    FormFillingError,
    IncrementalPdfFileWriter,
    PdfContent,
    PdfError,
    PdfFileReader,
    SignatureValidationError,
    SigningError,
    StaticStampStyle,
    TokenCriteria,
    ValidationContext,
    annot_width_height,
    fields,
    find_existing_empty_field,
    generic,
    get_single_field_annot,
    load_certs_from_pemder_data,
    pkcs11,
    signers,
    validate_pdf_signature,
)

__all__ = [
    "SEAL_FIELD",
    "SIGNATURE_FIELD",
    "SignatureCheck",
    "TokenSession",
    "certify_pdf_with",
    "fill_text_fields",
    "load_pkcs12_signer",
    "open_token",
    "seal_pdf_with",
    "sign_pdf",
    "sign_pdf_with",
    "verify_pdf_signature",
]

SIGNATURE_FIELD = "ChuKySo"
#: The body's signature added by the office over a notice its signer signed in person.
SEAL_FIELD = "ConDau"


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
    return _sign(pdf_bytes, signer, _metadata(SIGNATURE_FIELD, reason, location))


def _metadata(field: str, reason: str, location: str, **extra: Any) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        **extra,
    )


def _sign(
    pdf_bytes: bytes,
    signer: signers.Signer,
    meta: signers.PdfSignatureMetadata,
    *,
    prepare: Callable[[IncrementalPdfFileWriter], None] | None = None,
    stamp_style: StaticStampStyle | None = None,
) -> bytes:
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        if prepare is not None:
            prepare(writer)
        out = signers.PdfSigner(meta, signer=signer, stamp_style=stamp_style).sign_pdf(writer)
    except (PdfError, ValueError, KeyError) as exc:
        raise InvalidInput("notice_pdf_invalid") from exc
    except (p11e.PKCS11Error, SigningError):
        raise Unavailable("notice_token_unavailable", reason="signing_failed") from None
    return bytes(out.getvalue())


def certify_pdf_with(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    seal_box: tuple[int, float, float, float, float] | None,
) -> bytes:
    """The signer's signature on a notice they sign in person, before it is numbered: a
    certification signature (DocMDP) that permits form filling and further signatures
    only, so that the office can fill in the number and date fields and add the body's
    signature without breaking it. ``seal_box`` (page, box): an empty signature field is
    left there for the body's signature, which then shows the seal."""

    def add_seal_field(writer: IncrementalPdfFileWriter) -> None:
        if seal_box is not None:
            page, x1, y1, x2, y2 = seal_box
            box = (round(x1), round(y1), round(x2), round(y2))
            spec = fields.SigFieldSpec(SEAL_FIELD, on_page=page, box=box)
            fields.append_signature_field(writer, spec)

    meta = _metadata(
        SIGNATURE_FIELD, reason, location, certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS
    )
    return _sign(pdf_bytes, signer, meta, prepare=add_seal_field)


class _PdfPage(PdfContent):
    """The first page of a PDF (given as bytes) as an appearance's content."""

    def __init__(self, pdf_bytes: bytes) -> None:
        super().__init__()
        self._pdf = pdf_bytes

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self._pdf)))
        self.resources.xobject["/SealPage"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/SealPage Do"


def fill_text_fields(
    pdf_bytes: bytes, values: Mapping[str, str], appearance: Callable[[str, str, float, float], bytes]
) -> bytes:
    """The PDF with its empty text fields ``values`` (name to text) filled in, as an
    incremental update: each field gets its value, is made read-only, and shows the
    first page of ``appearance(name, text, width, height)`` (a PDF of the field's size).
    A missing or already filled field raises ``InvalidInput("notice_pdf_invalid")``."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        for name, text in values.items():
            ref = find_existing_empty_field(writer, name, "/Tx")
            field: Any = ref.get_object()
            annot = get_single_field_annot(field)
            width, height = annot_width_height(annot)
            shown = PdfFileReader(io.BytesIO(appearance(name, text, float(width), float(height))))
            annot["/AP"] = generic.DictionaryObject(  # type: ignore[no-untyped-call]
                {generic.NameObject("/N"): writer.import_page_as_xobject(shown)}
            )
            writer.update_container(annot)
            field["/V"] = generic.TextStringObject(text)
            read_only = int(field.get("/Ff", 0)) | 1
            field["/Ff"] = generic.NumberObject(read_only)  # type: ignore[no-untyped-call]
            writer.mark_update(ref)
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
    except (FormFillingError, PdfError, ValueError, KeyError) as exc:
        raise InvalidInput("notice_pdf_invalid") from exc
    return out.getvalue()


def seal_pdf_with(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    appearance: Callable[[float, float], bytes] | None,
) -> bytes:
    """The body's signature over a notice its signer signed in person, as a further
    incremental signature. Where the signer's layout left a box for the seal, the
    signature shows the first page of ``appearance(width, height)`` there (the seal and
    its caption); else it is invisible."""
    style = None
    if appearance is not None:
        try:
            reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
            field: Any = find_existing_empty_field(reader, SEAL_FIELD, "/Sig").get_object()
        except FormFillingError:
            field = None  # the body had no seal when the signer signed
        except (PdfError, ValueError, KeyError) as exc:
            raise InvalidInput("notice_pdf_invalid") from exc
        if field is not None:
            width, height = annot_width_height(get_single_field_annot(field))
            shown = appearance(float(width), float(height))
            style = StaticStampStyle(background=_PdfPage(shown), border_width=0)
    return _sign(pdf_bytes, signer, _metadata(SEAL_FIELD, reason, location), stamp_style=style)


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
