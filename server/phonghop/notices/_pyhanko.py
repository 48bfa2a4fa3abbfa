"""pyHanko, imported once, without the deprecation warning its import triggers.

cryptography 51 deprecated DSA: reading ``cryptography.hazmat...dsa`` attributes now
warns, and pyHanko 0.38 does so while importing ``pyhanko.sign.signers.pdf_cms`` (it
only lists DSA among the key types it recognises; phonghop never signs with DSA). Under
the test suite's ``filterwarnings = ["error"]`` that warning is an import error, and it
would be printed to every user of ``phonghop serve``. Only that one warning, only during
this import, is ignored.

Remove the ``catch_warnings`` block when a pyHanko release imports cleanly:
``.venv/bin/python -W error -c "import pyhanko.sign.signers"`` prints nothing.
Every phonghop module takes pyHanko from here, so the import order never matters.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"DSA is deprecated", category=CryptographyDeprecationWarning)
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import PdfContent
    from pyhanko.pdf_utils.form_tools import (
        annot_width_height,
        find_existing_empty_field,
        get_single_field_annot,
    )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.pdf_utils.misc import FormFillingError, PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, pkcs11, signers
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.stamp import StaticStampStyle
    from pyhanko_certvalidator import ValidationContext

__all__ = [
    "BoxConstraints",
    "FormFillingError",
    "IncrementalPdfFileWriter",
    "PdfContent",
    "PdfError",
    "PdfFileReader",
    "SignatureValidationError",
    "SigningError",
    "StaticStampStyle",
    "TokenCriteria",
    "ValidationContext",
    "annot_width_height",
    "fields",
    "find_existing_empty_field",
    "generic",
    "get_single_field_annot",
    "load_certs_from_pemder_data",
    "pkcs11",
    "signers",
    "validate_pdf_signature",
]
