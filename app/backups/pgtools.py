"""PostgreSQL's client programs (pg_dump, pg_restore, psql): which binary, which connection.

``pg_tool("pg_dump", server_major)`` picks, in order: ``PG_BIN_DIR`` when set (an operator's
override, which must hold the program); otherwise the candidate whose major version equals the
server's, else the closest newer one (pg_dump refuses a newer server; a much newer pg_restore
writes SQL an older server may not parse). Candidates are the binaries shipped inside the
``pgserver`` wheel (tried first when no DATABASE_URL is set, i.e. the embedded server), the
distribution's versioned directories (``/usr/lib/postgresql/<major>/bin``, ``/usr/pgsql-<major>/bin``,
Homebrew) and the program on PATH.

The programs get the connection through libpq's environment (PGHOST, PGPASSWORD...), never on
their command line, where any local user could read a password from ``ps``.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import URL

from app.settings import Settings, get_settings

_VERSION_RE = re.compile(rb"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_SEARCH_DIRS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)


class PgToolMissing(RuntimeError):
    """No usable pg_dump / pg_restore / psql for this server."""


@lru_cache(maxsize=64)
def tool_major(path: str) -> int | None:
    """The major version a PostgreSQL program reports (``pg_dump (PostgreSQL) 15.20`` → 15)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_RE.search(out)
    return int(match.group(1)) if match else None


def _pgserver_bin() -> Path | None:
    try:
        import pgserver  # the embedded server's wheel ships the client programs too
    except ImportError:
        return None
    folder = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def _candidates(name: str, embedded: bool) -> list[Path]:
    found: list[Path] = []
    bundled = _pgserver_bin()
    if embedded and bundled:
        found.append(bundled / name)
    for pattern in _SEARCH_DIRS:
        found += [Path(d) / name for d in sorted(glob.glob(pattern))]
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    if bundled and not embedded:
        found.append(bundled / name)
    seen: set[Path] = set()
    unique = []
    for path in found:
        if path not in seen and path.is_file() and os.access(path, os.X_OK):
            seen.add(path)
            unique.append(path)
    return unique


def pg_tool(name: str, server_major: int | None = None, settings: Settings | None = None) -> Path:
    """The ``name`` program to use against a server of ``server_major`` (see the module docstring)."""
    settings = settings or get_settings()
    if settings.pg_bin_dir:
        path = settings.pg_bin_dir / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise PgToolMissing(f"{name} not found in PG_BIN_DIR={settings.pg_bin_dir}")
        return path
    candidates = _candidates(name, embedded=settings.database_url is None)
    versioned = [(tool_major(str(p)), p) for p in candidates]
    usable = [(major, p) for major, p in versioned if major is not None]
    if not usable:
        raise PgToolMissing(f"{name} not found; install the PostgreSQL client programs or set PG_BIN_DIR")
    if server_major is None:
        return usable[0][1]
    for major, path in usable:
        if major == server_major:
            return path
    newer = sorted((major, str(path)) for major, path in usable if major > server_major)
    if newer:
        return Path(newer[0][1])
    have = ", ".join(f"{p} ({m})" for m, p in usable)
    raise PgToolMissing(
        f"no {name} for PostgreSQL {server_major} (found {have}); install version {server_major} "
        "or set PG_BIN_DIR"
    )


def libpq_env(url: URL, application_name: str) -> dict[str, str]:
    """The environment that points a libpq program at the database of ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    host = query.get("host") or url.host
    if host:
        env["PGHOST"] = host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGDATABASE"] = url.database or "postgres"
    sslmode = query.get("sslmode") or query.get("ssl")
    if sslmode:
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(sslmode, sslmode)
    env["PGAPPNAME"] = application_name
    env["PGCONNECT_TIMEOUT"] = "15"
    return env


class SchemaRename:
    """Streams plain SQL from ``pg_restore -f -`` with one schema's name replaced by another.

    pg_dump qualifies every object with its schema (``CREATE TABLE t_acme.customers``,
    ``REFERENCES t_acme.users(id)``, ``setval('t_acme.audit_log_id_seq', ...)``), so replacing the
    schema identifier where it stands as a whole identifier moves the whole dump. Table data is
    never touched: lines between ``COPY ... FROM stdin;`` and the ``\\.`` that ends it pass through
    byte for byte, so a customer note that mentions ``t_acme.`` stays as it was. Tenant schemas
    are plain lower-case identifiers, which pg_dump never quotes (the quoted form is handled too).
    """

    def __init__(self, old: str, new: str) -> None:
        word = re.escape(old.encode())
        self._pattern = re.compile(rb'"' + word + rb'"|(?<![\w$\x80-\xff"])' + word + rb'(?![\w$\x80-\xff"])')
        self._new = new.encode()
        self._buffer = bytearray()
        self._copying = False
        self._line_start = True
        self.replacements = 0
        self.copy_blocks = 0

    def _replace(self, match: re.Match[bytes]) -> bytes:
        self.replacements += 1
        return b'"' + self._new + b'"' if match.group(0).startswith(b'"') else self._new

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out: list[bytes] = []
        while self._buffer:
            if self._copying:
                if self._line_start and self._buffer.startswith(b"\\.\n"):
                    end = 3
                elif self._line_start and len(self._buffer) < 3 and b"\\.\n".startswith(bytes(self._buffer)):
                    break  # maybe the end marker; wait for more
                else:
                    found = self._buffer.find(b"\n\\.\n")
                    if found < 0:
                        keep = 3  # a marker may straddle this chunk and the next
                        if len(self._buffer) > keep:
                            out.append(bytes(self._buffer[:-keep]))
                            self._line_start = self._buffer[-keep - 1] == 0x0A
                            del self._buffer[:-keep]
                        break
                    end = found + 4
                out.append(bytes(self._buffer[:end]))
                del self._buffer[:end]
                self._copying = False
                self._line_start = True
                continue
            newline = self._buffer.find(b"\n")
            if newline < 0:
                break
            line = bytes(self._buffer[: newline + 1])
            del self._buffer[: newline + 1]
            out.append(self._pattern.sub(self._replace, line))
            if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
                self._copying = True
                self._line_start = True
                self.copy_blocks += 1
        return b"".join(out)

    def finish(self) -> bytes:
        if self._copying:
            raise ValueError("the SQL stream ended inside a COPY block")
        rest = self._pattern.sub(self._replace, bytes(self._buffer))
        self._buffer.clear()
        return rest
