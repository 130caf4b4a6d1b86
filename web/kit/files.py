"""Attachments in the admin (``app.kit.attachments``): the files of a multipart form, and a stored
file as a download (never shown inline: ``attachment`` with the uploaded name, ``nosniff``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar.datastructures import UploadFile
from litestar.response import Stream

from app.kit.attachments import Upload

CHUNK = 64 * 1024


def upload_files(data: dict[str, Any], name: str = "files") -> list[UploadFile]:
    """The file inputs named ``name`` of a parsed multipart form (one or many)."""
    raw = data.get(name)
    files = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [f for f in files if isinstance(f, UploadFile)]


async def read_uploads(data: dict[str, Any], name: str = "files") -> list[Upload]:
    """The form's files as the kit's uploads (an empty file input gives an unnamed one, skipped)."""
    return [Upload(f.filename or "", f.content_type or "", await f.read()) for f in upload_files(data, name)]


def download(item: dict[str, Any], handle: Any) -> Stream:
    """Stream an open stored file (closed when done) under the name it was uploaded with."""

    def chunks() -> Any:
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    filename = str(item.get("name") or "file").replace('"', "")
    return Stream(
        chunks(),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )
