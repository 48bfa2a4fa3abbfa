"""Conclusion notices (thông báo kết luận): drafted from a meeting, edited, numbered, issued.

The pure parts live elsewhere: the wording and the numbering rules in
:mod:`phonghop.domain.notice`, the editor's rules in :mod:`phonghop.domain.notice_edits`,
how a closed poll is reported in :mod:`phonghop.domain.notice_votes`, and the layout, the
files and the signature in :mod:`phonghop.notices`. These modules wire them to storage,
one topic each:

* :mod:`.settings` — the body's notice settings and signing certificate;
* :mod:`.drafting` — a draft from what the closed meeting recorded;
* :mod:`.editing` — changing or discarding a draft;
* :mod:`.issuing` — numbering, laying out, signing and freezing;
* :mod:`.signer` — a draft handed to its signer, who returns or signs it in their session;
* :mod:`.reading` — one notice, its files, the list;
* :mod:`.exchange` — an issued notice as an edXML package for other document systems.

The names below are what the web layer and the other services use.
"""

from phonghop.domain.notice_edits import DRAFT, ISSUED, STATES, DraftChanges, PointText
from phonghop.services.notices.drafting import DraftOptions, draft_from_meeting, meeting_record
from phonghop.services.notices.editing import delete_draft, update_draft
from phonghop.services.notices.exchange import notice_package
from phonghop.services.notices.issuing import RENDER_LOCK, issue, next_number, render
from phonghop.services.notices.reading import file_info, file_name, get_notice, list_notices, notice_file
from phonghop.services.notices.settings import (
    SETTINGS_KEY,
    BodyConfig,
    SigningConfig,
    body_config,
    check_signing,
    get_settings,
    load_body_config,
    put_settings,
    settings_view,
    signing_status,
)
from phonghop.services.notices.signer import (
    request_signature,
    return_to_office,
    sign_as_signer,
    signature_requests,
    signer_candidates,
    withdraw_signature_request,
)

__all__ = [
    "DRAFT",
    "ISSUED",
    "RENDER_LOCK",
    "SETTINGS_KEY",
    "STATES",
    "BodyConfig",
    "DraftChanges",
    "DraftOptions",
    "PointText",
    "SigningConfig",
    "body_config",
    "check_signing",
    "delete_draft",
    "draft_from_meeting",
    "file_info",
    "file_name",
    "get_notice",
    "get_settings",
    "issue",
    "list_notices",
    "load_body_config",
    "meeting_record",
    "next_number",
    "notice_file",
    "notice_package",
    "put_settings",
    "render",
    "request_signature",
    "return_to_office",
    "settings_view",
    "sign_as_signer",
    "signature_requests",
    "signer_candidates",
    "signing_status",
    "update_draft",
    "withdraw_signature_request",
]
