"""The encrypted backup file: a per-backup data key wrapped by the master key, AES-256-GCM chunks.

Layout of a ``.dcrmbak`` file::

    b"DCRMBAK\\x01"                      magic and format version
    uint32 big-endian                    length of the header
    header                               JSON (sorted keys): backup id, tenant, schema, key id,
                                         wrapped data key, nonce prefix, chunk size
    frames...                            uint32 big-endian (bit 31: final frame; bits 0-30: length)
                                         followed by that many bytes of AES-GCM ciphertext + tag

Each frame is one chunk of the ``pg_dump`` stream (1 MiB by default) sealed under the backup's
own data key with nonce = 8-byte random prefix + 32-bit frame counter, and associated data =
SHA-256 of the header + counter + final flag. So a changed header, a changed, dropped, reordered
or duplicated frame, a frame flipped to "final" early or a file cut anywhere (even exactly between
frames: the last frame read is not flagged final) all fail authentication. The data key is sealed
by the master key with the backup id as associated data, so a wrong master key fails before a
single frame is read, and a header moved onto another backup's file does too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import struct
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.settings import Settings

MAGIC = b"DCRMBAK\x01"
CHUNK_SIZE = 1 << 20
_TAG = 16
_FINAL = 0x8000_0000
_MAX_HEADER = 64 * 1024
_KEY_AAD = b"dealercrm:backup-data-key:v1:"
DEV_KEY_FILE = "backup-master.key"


class BackupKeyError(Exception):
    """The master key is missing or malformed (a configuration problem, not a bad file)."""


class BackupFileError(Exception):
    """The backup file cannot be trusted; nothing has been restored from it."""


class CorruptBackup(BackupFileError):
    pass


class TruncatedBackup(BackupFileError):
    pass


class WrongKey(BackupFileError):
    pass


# -- the master key -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterKey:
    key: bytes
    key_id: str  # a fingerprint that names the key in headers and messages, never reveals it

    @classmethod
    def from_bytes(cls, key: bytes) -> MasterKey:
        if len(key) != 32:
            raise BackupKeyError(f"BACKUP_MASTER_KEY must be base64 of exactly 32 bytes (got {len(key)})")
        return cls(key, hashlib.sha256(b"dealercrm:backup-master-key-id:" + key).hexdigest()[:16])


def _decode_key(raw: str) -> bytes:
    text = raw.strip().encode()
    for altchars in (None, b"-_"):  # standard or URL-safe alphabet
        try:
            return base64.b64decode(text, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    raise BackupKeyError("BACKUP_MASTER_KEY is not valid base64")


def generate_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def load_master_key(settings: Settings) -> MasterKey:
    """The configured master key; outside production a key file under DATA_DIR made once.

    In production an unset key is an error: a key generated silently on one host would make
    the backups unreadable anywhere else (and lost with that host's disk).
    """
    if settings.backup_master_key:
        return MasterKey.from_bytes(_decode_key(settings.backup_master_key))
    if settings.environment == "production":
        raise BackupKeyError(
            "BACKUP_MASTER_KEY is not set; production backups need a master key kept outside the "
            'backup storage (generate one with: python -c "import base64,os;'
            'print(base64.b64encode(os.urandom(32)).decode())")'
        )
    return MasterKey.from_bytes(_decode_key(_dev_key_text(settings.data_dir / DEV_KEY_FILE)))


def _dev_key_text(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (generate_key_text() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # atomic and refuses to replace: a racing process's key wins
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
    return path.read_text().strip()


def wrap_data_key(master: MasterKey, data_key: bytes, backup_id: uuid.UUID) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(master.key).encrypt(nonce, data_key, _KEY_AAD + backup_id.bytes)
    return base64.b64encode(nonce + sealed).decode()


def unwrap_data_key(master: MasterKey, wrapped: str, backup_id: uuid.UUID, key_id: str) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(master.key).decrypt(raw[:12], raw[12:], _KEY_AAD + backup_id.bytes)
    except InvalidTag:
        if key_id != master.key_id:
            raise WrongKey(
                f"the backup was encrypted under master key {key_id}; the configured key is {master.key_id}"
            ) from None
        raise WrongKey("the backup's data key does not open with the configured master key") from None


# -- the file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    backup_id: str
    tenant_slug: str
    schema_name: str
    created_at: str
    key_id: str
    wrapped_key: str
    nonce_prefix: str
    chunk_size: int
    cipher: str = "AES-256-GCM"
    content: str = "pg_dump custom format"
    version: int = 1

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()


def new_header(
    *,
    backup_id: uuid.UUID,
    tenant_slug: str,
    schema_name: str,
    created_at: str,
    master: MasterKey,
    wrapped_key: str,
    chunk_size: int = CHUNK_SIZE,
) -> Header:
    return Header(
        backup_id=str(backup_id),
        tenant_slug=tenant_slug,
        schema_name=schema_name,
        created_at=created_at,
        key_id=master.key_id,
        wrapped_key=wrapped_key,
        nonce_prefix=base64.b64encode(secrets.token_bytes(8)).decode(),
        chunk_size=chunk_size,
    )


def _aad(header_digest: bytes, counter: int, final: bool) -> bytes:
    return header_digest + struct.pack(">QB", counter, 1 if final else 0)


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


class EncryptingWriter:
    """Seals a byte stream into ``out`` frame by frame; counts and hashes what it writes."""

    def __init__(self, out: BinaryIO, header: Header, data_key: bytes) -> None:
        self._out = out
        self._aead = AESGCM(data_key)
        self._chunk = header.chunk_size
        self._prefix = base64.b64decode(header.nonce_prefix)
        encoded = header.encode()
        self._digest = hashlib.sha256(encoded).digest()
        self._buffer = bytearray()
        self._counter = 0
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._emit(MAGIC + struct.pack(">I", len(encoded)) + encoded)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self.sha256.update(data)
        self.size += len(data)

    def _frame(self, plaintext: bytes, final: bool) -> None:
        if self._counter >= 0xFFFF_FFFF:
            raise OverflowError("backup too large for one file")
        sealed = self._aead.encrypt(
            _nonce(self._prefix, self._counter), plaintext, _aad(self._digest, self._counter, final)
        )
        self._emit(struct.pack(">I", len(sealed) | (_FINAL if final else 0)) + sealed)
        self._counter += 1

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > self._chunk:  # keep at least one byte back for the final frame
            self._frame(bytes(self._buffer[: self._chunk]), final=False)
            del self._buffer[: self._chunk]

    def close(self) -> None:
        """Write the final frame (possibly empty): without it a reader reports a truncated file."""
        self._frame(bytes(self._buffer), final=True)
        self._buffer.clear()


def _read_exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    return data if data is not None else b""


def read_header(f: BinaryIO) -> tuple[Header, bytes]:
    """The header and its exact bytes (the frames' associated data covers them)."""
    if _read_exact(f, len(MAGIC)) != MAGIC:
        raise CorruptBackup("not a DealerCRM backup file (bad magic)")
    raw_len = _read_exact(f, 4)
    if len(raw_len) != 4:
        raise TruncatedBackup("the file ends inside its header")
    (length,) = struct.unpack(">I", raw_len)
    if length > _MAX_HEADER:
        raise CorruptBackup("the header length is implausible")
    encoded = _read_exact(f, length)
    if len(encoded) != length:
        raise TruncatedBackup("the file ends inside its header")
    try:
        header = Header(**json.loads(encoded))
        if len(base64.b64decode(header.nonce_prefix, validate=True)) != 8 or not isinstance(
            header.chunk_size, int
        ):
            raise ValueError("bad nonce prefix or chunk size")
        base64.b64decode(header.wrapped_key, validate=True)
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise CorruptBackup("the header is not readable") from exc
    if header.version != 1 or header.cipher != "AES-256-GCM":
        raise CorruptBackup(f"unsupported backup format {header.version}/{header.cipher}")
    return header, encoded


def decrypt_frames(f: BinaryIO, header: Header, header_bytes: bytes, data_key: bytes) -> Iterator[bytes]:
    """The plaintext chunks, each authenticated before it is yielded; raises on any tampering."""
    aead = AESGCM(data_key)
    digest = hashlib.sha256(header_bytes).digest()
    prefix = base64.b64decode(header.nonce_prefix)
    counter = 0
    while True:
        raw = _read_exact(f, 4)
        if not raw:
            raise TruncatedBackup(f"the file ends after {counter} frames without its final frame")
        if len(raw) != 4:
            raise TruncatedBackup("the file ends inside a frame header")
        (field,) = struct.unpack(">I", raw)
        final = bool(field & _FINAL)
        length = field & ~_FINAL
        if length < _TAG or length > header.chunk_size + _TAG:
            raise CorruptBackup(f"frame {counter} has an impossible length")
        sealed = _read_exact(f, length)
        if len(sealed) != length:
            raise TruncatedBackup(f"the file ends inside frame {counter}")
        try:
            plaintext = aead.decrypt(_nonce(prefix, counter), sealed, _aad(digest, counter, final))
        except InvalidTag:
            raise CorruptBackup(f"frame {counter} fails authentication (the file was altered)") from None
        yield plaintext
        counter += 1
        if final:
            if _read_exact(f, 1):
                raise CorruptBackup("data follows the final frame")
            return


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
