"""Office Open XML packages (DOCX) that are the same bytes for the same content.

python-docx stamps every ZIP entry with the time of writing, so two exports of one notice
differed although nothing in them did. :func:`fixed_package` rewrites the package with
fixed entry times and attributes, in the same entry order; the core properties of the
template python-docx starts from carry fixed dates already.
"""

from __future__ import annotations

import io
import zipfile

#: The earliest time a ZIP entry can carry (MS-DOS epoch), as reproducible builds use.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


def fixed_package(data: bytes) -> bytes:
    """The package ``data`` with every entry dated :data:`ENTRY_TIME`, deflated, and no
    system-dependent attributes: the same content gives the same bytes on any day."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ENTRY_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            target.writestr(entry, source.read(info), compresslevel=6)
    return out.getvalue()
