"""What a district may upload, told by the file's content: one rule for the API and the pages.

A file is accepted when its first bytes (and, for the office formats, its inner structure) are
those of a type on the allow-list: JPEG, PNG and WebP photos; PDF; Word, Excel and PowerPoint
(the 2007+ formats and the older binary ones); OpenDocument text, sheets and slides. Its name
and the type its sender declared are never believed. One size limit (``UPLOAD_MAX_BYTES``,
10 MB unless the deployment says otherwise) holds everywhere. An accepted file is stored under
a random name with the extension of its real type, and always served as an attachment.
"""

from __future__ import annotations

import os
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import FieldError


@dataclass(frozen=True)
class FileType:
    name: str  # shown to people: "JPEG", "PDF", "Word"
    extension: str
    content_type: str
    image: bool = False


JPEG = FileType("JPEG", "jpg", "image/jpeg", image=True)
PNG = FileType("PNG", "png", "image/png", image=True)
WEBP = FileType("WebP", "webp", "image/webp", image=True)
PDF = FileType("PDF", "pdf", "application/pdf")
DOCX = FileType("Word", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("Excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = FileType(
    "PowerPoint", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
ODT = FileType("OpenDocument", "odt", "application/vnd.oasis.opendocument.text")
ODS = FileType("OpenDocument", "ods", "application/vnd.oasis.opendocument.spreadsheet")
ODP = FileType("OpenDocument", "odp", "application/vnd.oasis.opendocument.presentation")
OLE = FileType("Office 97-2003", "doc", "application/msword")  # .doc/.xls/.ppt share one container

PHOTOS: tuple[FileType, ...] = (JPEG, PNG, WEBP)
EVIDENCE: tuple[FileType, ...] = (*PHOTOS, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, OLE)

_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}


def _zip_type(uploaded: Any) -> FileType | None:
    """An office file of the 2007+ or OpenDocument kind, by what its archive holds."""
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in _OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def _image_readable(uploaded: Any) -> bool:
    """Pillow reads it as an image (a photo's header followed by anything else is not one)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(uploaded) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False
    return True


def sniff(uploaded: Any) -> FileType | None:
    """The real type of ``uploaded`` (a Django ``UploadedFile`` or any seekable file), or ``None``."""
    try:
        uploaded.seek(0)
        head = uploaded.read(16)
        kind: FileType | None = None
        if head.startswith(b"\xff\xd8\xff"):
            kind = JPEG
        elif head.startswith(b"\x89PNG\r\n\x1a\n"):
            kind = PNG
        elif len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            kind = WEBP
        elif head.startswith(b"%PDF-"):
            kind = PDF
        elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            kind = OLE
        elif head.startswith(b"PK\x03\x04"):
            uploaded.seek(0)
            kind = _zip_type(uploaded)
        if kind is not None and kind.image:
            uploaded.seek(0)
            if not _image_readable(uploaded):
                kind = None
        return kind
    finally:
        uploaded.seek(0)


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def upload_errors(
    field: str, files: Sequence[Any], *, allowed: Sequence[FileType], max_count: int
) -> list[FieldError]:
    """Every problem with ``files`` for ``field``: how many, how large, what they really are."""
    errors: list[FieldError] = []
    if len(files) > max_count:
        errors.append(
            FieldError(field, "too_many_files", _("Attach at most %(count)s files.") % {"count": max_count})
        )
    limit = max_bytes()
    kinds = ", ".join(dict.fromkeys(kind.name for kind in allowed))
    for uploaded in files:
        name = os.path.basename(str(getattr(uploaded, "name", "") or ""))
        size = getattr(uploaded, "size", None)
        if size is not None and size > limit:
            errors.append(
                FieldError(
                    field,
                    "file_too_large",
                    _("%(name)s is larger than %(limit)s MB.")
                    % {"name": name, "limit": limit // (1024 * 1024)},
                )
            )
            continue
        kind = sniff(uploaded)
        if kind is None or kind not in allowed:
            errors.append(
                FieldError(
                    field,
                    "file_type",
                    _("%(name)s is not a file of an accepted kind (%(kinds)s).")
                    % {"name": name, "kinds": kinds},
                )
            )
    return errors


def stored_name(instance: Any, filename: str) -> str:
    """``upload_to``: a random name under the month's folder, with the real type's extension.

    The service sets ``instance._sniffed`` (a ``FileType``) before saving; the sender's name is
    kept only as the caption's default, never as a path.
    """
    from django.utils import timezone

    kind: FileType | None = getattr(instance, "_sniffed", None)
    extension = kind.extension if kind is not None else "bin"
    today = timezone.localdate()
    return f"evidence/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{extension}"
