"""Per-tenant files on disk: ``FILES_DIR/<tenant schema>/<area>/<name>``.

Every path is built from checked components, so a name from a request or a database row can never
climb out of its tenant's folder. Files are written atomically: bytes go to a hidden temporary name
in the same folder, are fsynced, and only then renamed into place, so a reader (a download) sees
either the whole file or no file, even when the writer is killed half-way.

Exports use it now; attachments, photos and backups are meant to reuse it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from app.settings import get_settings

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_TEMP_SUFFIX = ".part"


class UnsafePath(ValueError):
    """A path component that could escape its folder (``..``, a separator, a hidden name...)."""


def _component(value: str, what: str) -> str:
    if (
        not value
        or value in (".", "..")
        or value.startswith(".")  # hidden names are reserved for partial files
        or "/" in value
        or "\\" in value
        or "\x00" in value
        or len(value) > 200
    ):
        raise UnsafePath(f"unsafe {what}: {value!r}")
    return value


class TenantFiles:
    """One tenant's files in one area (``exports``, ``attachments``...)."""

    def __init__(self, root: Path, schema: str, area: str) -> None:
        if not _SCHEMA_RE.match(schema):
            raise UnsafePath(f"unsafe tenant schema: {schema!r}")
        self.root = root.resolve()
        self.folder = self.root / schema / _component(area, "area")

    def path(self, name: str) -> Path:
        """The absolute path of ``name``, refusing anything that leaves this folder."""
        candidate = (self.folder / _component(name, "file name")).resolve()
        if candidate.parent != self.folder.resolve():
            raise UnsafePath(f"{name!r} leaves {self.folder}")
        return candidate

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def open(self, name: str) -> BinaryIO:
        """A finished file for reading (a download). Raises FileNotFoundError when absent."""
        return self.path(name).open("rb")

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    @contextmanager
    def write_atomic(self, name: str) -> Iterator[BinaryIO]:
        """Write ``name`` all-or-nothing: it appears under its real name only after a clean exit.

        On an exception the partial file is removed; if the process dies instead, the partial
        stays under a hidden name that ``discard_partials`` clears and no reader ever opens.
        """
        final = self.path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
        handle = temp.open("xb")
        try:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(temp, final)
            _fsync_dir(final.parent)
        except BaseException:
            handle.close()
            temp.unlink(missing_ok=True)
            raise

    def discard_partials(self, name: str) -> int:
        """Remove partial files a killed writer of ``name`` left behind; returns how many."""
        self.path(name)  # validates the name
        if not self.folder.is_dir():
            return 0
        removed = 0
        for leftover in self.folder.glob(f".{glob_escape(name)}.*{_TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (the directory entry), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def tenant_files(schema: str, area: str, root: Path | None = None) -> TenantFiles:
    """The area's files for one tenant under the configured ``FILES_DIR``."""
    return TenantFiles(root or get_settings().files_dir, schema, area)
