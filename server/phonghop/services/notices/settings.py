"""An issuing body's notice settings and its signing certificate.

A body keeps its notice settings as JSON under ``IssuingBody.settings["notices"]`` (see
:func:`settings_view` for the keys); :func:`body_config` maps them to the domain's
:class:`~phonghop.domain.notice.IssuingBody`, :class:`~phonghop.domain.notice.NoticeSettings`
and default :class:`~phonghop.domain.notice.SignatureBlock`, and names the signing
certificate (:class:`SigningConfig`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import parse_signature, signature_json
from phonghop.domain.permissions import Actor, require_admin, require_office
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import InvalidInput, NotFound, PhonghopError, Unavailable
from phonghop.notices._pyhanko import signers
from phonghop.notices.edxml import AGENCY_CODE
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import IssuingBody

SETTINGS_KEY = "notices"

#: The last recipient line when the body has not set one: the file copy kept by the office.
_DEFAULT_FILE_COPY = {nd.NoticeFormat.PARTY: "Lưu Văn phòng", nd.NoticeFormat.STATE: "Lưu: VT."}
#: How the opening names the members present: "13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy".
_DEFAULT_MEMBER_LABEL = {nd.NoticeFormat.PARTY: "Ủy viên {body}", nd.NoticeFormat.STATE: "thành viên {body}"}


@dataclass(frozen=True)
class TokenConfig:
    """A signer's USB token (PKCS#11): the driver library, the token's label, and the
    labels of the key and certificate on it. The PIN is asked at issue time, never kept."""

    signer_name: str
    module_path: str
    token_label: str
    key_label: str
    cert_label: str = ""


@dataclass(frozen=True)
class SigningConfig:
    """How the body's notices are signed: a PKCS#12 file on the server with its
    passphrase in an environment variable or a file (neither: an unencrypted file),
    and/or a USB token per signer (``tokens``), used when the notice's signer has one."""

    pkcs12_path: str = ""
    passphrase_env: str = ""
    passphrase_file: str = ""
    reason: str = ""
    tokens: tuple[TokenConfig, ...] = ()

    def token_of(self, signer_name: str) -> TokenConfig | None:
        """The token configured for the signer named in a signature block."""
        key = compare_key(signer_name)
        return next((t for t in self.tokens if compare_key(t.signer_name) == key), None)


@dataclass(frozen=True)
class ExchangeConfig:
    """The codes (mã định danh, Quyết định 20/2020/QĐ-TTg: "000.00.00.H41") the edXML
    package needs: the body's own, and those of recipients ("Nơi nhận" lines, matched by
    name) that receive documents electronically."""

    agency_code: str = ""
    recipient_codes: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def agency_of(recipient: str) -> str:
        """The agency a "Nơi nhận" line names: "Sở Tài chính (để thực hiện)" -> "Sở Tài chính"."""
        return re.sub(r"\s*\(.*\)\s*$", "", normalize(recipient))

    def code_of(self, recipient: str) -> str:
        """The code of a "Nơi nhận" line's agency, or ""."""
        key = compare_key(self.agency_of(recipient))
        return next((code for name, code in self.recipient_codes if compare_key(name) == key), "")


@dataclass(frozen=True)
class BodyConfig:
    """An issuing body's notice settings as the domain needs them."""

    body: nd.IssuingBody
    settings: nd.NoticeSettings
    member_label: str
    signing: SigningConfig | None
    exchange: ExchangeConfig = ExchangeConfig()


def _fmt(body: IssuingBody) -> nd.NoticeFormat:
    try:
        return nd.NoticeFormat(body.notice_format)
    except ValueError:
        raise InvalidInput("notice_setting_invalid", field="format") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    """A one-line text setting; the header name keeps its explicit line breaks."""
    value = data.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput("notice_setting_invalid", field=key)
    if key == "header_name":
        return "\n".join(normalize(line) for line in value.split("\n") if normalize(line))
    return normalize(value)


_TOKEN_KEYS = {"signer_name", "module_path", "token_label", "key_label", "cert_label"}


def _tokens(data: Any) -> tuple[TokenConfig, ...]:
    if not isinstance(data, list) or len(data) > 50:
        raise InvalidInput("notice_setting_invalid", field="signing.tokens")
    tokens = []
    for i, item in enumerate(data):
        field = f"signing.tokens[{i}]"
        if (
            not isinstance(item, Mapping)
            or set(item) - _TOKEN_KEYS
            or not all(isinstance(v, str) for v in item.values())
        ):
            raise InvalidInput("notice_setting_invalid", field=field)
        values = {k: normalize(v) for k, v in item.items()}
        for required in ("signer_name", "module_path", "token_label", "key_label"):
            if not values.get(required):
                raise InvalidInput("notice_setting_invalid", field=f"{field}.{required}")
        if not Path(values["module_path"]).is_absolute():
            raise InvalidInput("notice_setting_invalid", field=f"{field}.module_path")
        tokens.append(TokenConfig(**values))
    return tuple(tokens)


def _signing(data: Any) -> SigningConfig | None:
    if data is None:
        return None
    keys = {"pkcs12_path", "passphrase_env", "passphrase_file", "reason", "tokens"}
    if (
        not isinstance(data, Mapping)
        or set(data) - keys
        or not all(isinstance(v, str) for k, v in data.items() if k != "tokens")
    ):
        raise InvalidInput("notice_setting_invalid", field="signing")
    tokens = _tokens(data.get("tokens", []))
    config = SigningConfig(**{k: v.strip() for k, v in data.items() if k != "tokens"}, tokens=tokens)
    if not config.pkcs12_path and not tokens:
        raise InvalidInput("notice_setting_invalid", field="signing.pkcs12_path")
    if config.pkcs12_path and not Path(config.pkcs12_path).is_absolute():
        raise InvalidInput("notice_setting_invalid", field="signing.pkcs12_path")
    if config.passphrase_file and not Path(config.passphrase_file).is_absolute():
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_file")
    if config.passphrase_env and config.passphrase_file:
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_file")
    if config.passphrase_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", config.passphrase_env):
        raise InvalidInput("notice_setting_invalid", field="signing.passphrase_env")
    return config


def _agency_code(value: Any, field: str) -> str:
    if not isinstance(value, str) or not (value == "" or AGENCY_CODE.fullmatch(value.strip())):
        raise InvalidInput("notice_setting_invalid", field=field)
    return value.strip()


def _exchange(data: Any) -> ExchangeConfig:
    if data is None:
        return ExchangeConfig()
    if not isinstance(data, Mapping) or set(data) - {"agency_code", "recipients"}:
        raise InvalidInput("notice_setting_invalid", field="exchange")
    recipients = data.get("recipients", [])
    if not isinstance(recipients, list) or len(recipients) > 500:
        raise InvalidInput("notice_setting_invalid", field="exchange.recipients")
    codes = []
    for i, item in enumerate(recipients):
        field = f"exchange.recipients[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "code"}:
            raise InvalidInput("notice_setting_invalid", field=field)
        name = item["name"]
        if not isinstance(name, str) or not normalize(name):
            raise InvalidInput("notice_setting_invalid", field=f"{field}.name")
        code = _agency_code(item["code"], f"{field}.code")
        if not code:
            raise InvalidInput("notice_setting_invalid", field=f"{field}.code")
        codes.append((normalize(name), code))
    return ExchangeConfig(_agency_code(data.get("agency_code", ""), "exchange.agency_code"), tuple(codes))


_SETTING_KEYS = {
    "layout",
    "header_name",
    "parent_name",
    "sentence_name",
    "place",
    "file_copy",
    "member_label",
    "term_start",
    "recipients",
    "signature",
    "signing",
    "exchange",
}


async def _parent_name(uow: UnitOfWork, body: IssuingBody) -> str:
    if body.parent_id is None:
        return ""
    parent = await uow.session.get(IssuingBody, body.parent_id)
    return parent.name if parent is not None else ""


def body_config(body: IssuingBody, data: Mapping[str, Any], parent_name: str = "") -> BodyConfig:
    """Map stored settings to the domain objects, checking every value.

    Raises ``InvalidInput`` with ``notice_setting_invalid`` (``field``),
    ``notice_body_invalid`` (an empty name, symbol, place...) or
    ``notice_authority_invalid``.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("notice_setting_invalid", field="")
    unknown = sorted(set(data) - _SETTING_KEYS)
    if unknown:
        raise InvalidInput("notice_setting_invalid", field=unknown[0])
    fmt = _fmt(body)
    layout = data.get("layout") or {}
    if not isinstance(layout, Mapping) or "format" in layout:
        raise InvalidInput(
            "notice_setting_invalid", field="layout.format" if "format" in layout else "layout"
        )
    settings = nd.NoticeSettings.from_dict({**layout, "format": fmt.value})
    term = data.get("term_start")
    try:
        term_start = date.fromisoformat(term) if term is not None else None
    except (TypeError, ValueError):
        raise InvalidInput("notice_setting_invalid", field="term_start") from None
    recipients = data.get("recipients") or []
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise InvalidInput("notice_setting_invalid", field="recipients")
    signature = data.get("signature")
    sentence_name = _text(data, "sentence_name") or body.short_name or body.name
    domain_body = nd.IssuingBody(
        name=_text(data, "header_name") or body.name,
        symbol=body.symbol,
        place=_text(data, "place") or body.place,
        sentence_name=sentence_name,
        file_copy=_text(data, "file_copy") or _DEFAULT_FILE_COPY[fmt],
        parent=_text(data, "parent_name") or parent_name,
        term_start=term_start,
        default_recipients=tuple(normalize(r) for r in recipients if normalize(r)),
        default_signature=None if signature is None else parse_signature(signature, fmt, "signature"),
    )
    member_label = _text(data, "member_label") or _DEFAULT_MEMBER_LABEL[fmt].format(body=sentence_name)
    return BodyConfig(
        domain_body, settings, member_label, _signing(data.get("signing")), _exchange(data.get("exchange"))
    )


async def load_body_config(uow: UnitOfWork, body_id: int) -> tuple[IssuingBody, BodyConfig]:
    body = await uow.session.get(IssuingBody, body_id)
    if body is None:
        raise NotFound("body_not_found")
    stored = (body.settings or {}).get(SETTINGS_KEY) or {}
    return body, body_config(body, stored, await _parent_name(uow, body))


def signing_key(config: SigningConfig) -> tuple[bytes, str | None]:
    """The PKCS#12 bytes and passphrase; ``Unavailable("notice_signing_unavailable")``
    when the file cannot be read or the passphrase is not where the settings say."""
    try:
        pkcs12 = Path(config.pkcs12_path).read_bytes()
    except OSError:
        raise Unavailable("notice_signing_unavailable", reason="certificate_unreadable") from None
    if config.passphrase_env:
        passphrase = os.environ.get(config.passphrase_env)
        if passphrase is None:
            raise Unavailable("notice_signing_unavailable", reason="passphrase_env_unset")
        return pkcs12, passphrase
    if config.passphrase_file:
        try:
            return pkcs12, Path(config.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise Unavailable("notice_signing_unavailable", reason="passphrase_file_unreadable") from None
    return pkcs12, None


def check_signing(config: SigningConfig) -> None:
    """Load the key once, as issuing would: a wrong passphrase or a file that is not
    PKCS#12 raises ``InvalidInput("notice_signing_key_invalid")``. Tokens cannot be
    checked without their PIN: they are tried at issue time."""
    if not config.pkcs12_path:
        return
    pkcs12, passphrase = signing_key(config)
    secret = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=secret)
    except (ValueError, TypeError):
        raise InvalidInput("notice_signing_key_invalid") from None


def settings_view(body: IssuingBody, config: BodyConfig) -> dict[str, Any]:
    """The body's notice settings with every default filled in, as the API shows them.

    ``format``, ``symbol`` and the body's own ``name`` come from the body (read only).
    """
    b, s = config.body, config.settings
    layout = s.to_dict()
    layout.pop("format")
    return {
        "format": s.format.value,
        "symbol": b.symbol,
        "layout": layout,
        "header_name": b.name,
        "parent_name": b.parent,
        "sentence_name": b.sentence_name,
        "place": b.place,
        "file_copy": b.file_copy,
        "member_label": config.member_label,
        "term_start": b.term_start.isoformat() if b.term_start else None,
        "recipients": list(b.default_recipients),
        "signature": None if b.default_signature is None else signature_json(b.default_signature),
        "signing": None if config.signing is None else dataclasses.asdict(config.signing),
        "exchange": {
            "agency_code": config.exchange.agency_code,
            "recipients": [{"name": n, "code": c} for n, c in config.exchange.recipient_codes],
        },
    }


def signing_status(config: BodyConfig) -> str | None:
    """None without a certificate; "ok" when it loads; else the error code issuing would get."""
    if config.signing is None:
        return None
    try:
        check_signing(config.signing)
    except PhonghopError as exc:
        return exc.code
    return "ok"


async def get_settings(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The body's notice settings (office staff and administrators), with the state of the
    signing certificate in ``signing_status``."""
    require_office(actor)
    body, config = await load_body_config(uow, actor.body_id)
    return {**settings_view(body, config), "signing_status": signing_status(config)}


async def put_settings(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the body's notice settings (administrators only), after checking them all,
    the signing certificate included (it must load with its passphrase)."""
    require_admin(actor)
    body = await uow.session.get(IssuingBody, actor.body_id)
    if body is None:
        raise NotFound("body_not_found")
    stored = dict(data)
    config = body_config(body, stored, await _parent_name(uow, body))
    if config.signing is not None:
        check_signing(config.signing)
    body.settings = {**(body.settings or {}), SETTINGS_KEY: stored}
    record_audit(uow, actor, "notice_settings.updated", target_type="body", target_id=body.id)
    return {**settings_view(body, config), "signing_status": signing_status(config)}
