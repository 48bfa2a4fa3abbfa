"""Office Open XML packages (DOCX, XLSX) that are the same bytes for the same content.

python-docx and openpyxl stamp every ZIP entry with the time of writing, and openpyxl also
writes that time into the workbook's core properties, so two exports of one table differed
although nothing in them did. :func:`fixed_package` rewrites the package with fixed entry
times and attributes, in the same entry order, and can fix the core properties' dates; the
core properties of the template python-docx starts from carry fixed dates already.
"""

from __future__ import annotations

import io
import re
import zipfile

#: The earliest time a ZIP entry can carry (MS-DOS epoch), as reproducible builds use.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


#: The same moment in the form of the core properties (W3CDTF).
CORE_TIME = "1980-01-01T00:00:00Z"
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def fixed_package(data: bytes, *, core_dates: bool = False) -> bytes:
    """The package ``data`` with every entry dated :data:`ENTRY_TIME`, deflated, and no
    system-dependent attributes: the same content gives the same bytes on any day. With
    ``core_dates``, the created and modified dates of ``docProps/core.xml`` become
    :data:`CORE_TIME` too."""
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
            content = source.read(info)
            if core_dates and info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + CORE_TIME.encode() + rb"\g<2>", content)
            target.writestr(entry, content, compresslevel=6)
    return out.getvalue()
