"""The tenant's data keys and the platform's master key.

Values are sealed with AES-256-GCM under a per-tenant data key; data keys are stored in the
tenant's ``data_keys`` table wrapped (AES-GCM) by the master key from ``DATA_MASTER_KEY``, so a
copy of the database alone opens nothing. Each data key is bound (associated data) to its purpose
and version; each value to its entity, record and field, so a ciphertext moved onto another
record does not open. A keyed hash (HMAC-SHA256 under the tenant's search key) beside each value
finds a record by a full ID number without decrypting anything.

Rotation without downtime: ``DATA_MASTER_KEY`` gets the new key and ``DATA_MASTER_KEYS_RETIRED``
the old one; every process opens keys wrapped by either, and ``dealercrm keys rotate`` re-wraps
each tenant's data keys under the new one (a few rows per tenant). ``--reencrypt`` also starts a
new data key version and re-seals the values in batches, each its own short transaction; reads
open every version meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.backups.crypto import _dev_key_text
from app.privacy.models import DataKey
from app.settings import Settings, get_settings

DEV_KEY_FILE = "data-master.key"
ENCRYPT, SEARCH = "encrypt", "search"
_KEY_AAD = b"dealercrm:data-key:v1:"


class DataKeyError(Exception):
    """The master key is missing, malformed, or not the one that wrapped a tenant's data keys."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes
    key_id: str  # a fingerprint naming the key in rows and messages, never revealing it

    @classmethod
    def from_text(cls, raw: str) -> MasterKey:
        key = b""
        for altchars in (None, b"-_"):
            try:
                key = base64.b64decode(raw.strip().encode(), altchars=altchars, validate=True)
                break
            except (binascii.Error, ValueError):
                continue
        if len(key) != 32:
            raise DataKeyError("DATA_MASTER_KEY must be base64 of exactly 32 bytes")
        return cls(key, hashlib.sha256(b"dealercrm:data-master-key-id:" + key).hexdigest()[:16])


def refuse_missing_master_key(settings: Settings) -> None:
    """Stop a production process without ``DATA_MASTER_KEY`` (as the SECRET_KEY check does): a key
    made up on one host would leave every other host unable to read the sensitive fields."""
    if settings.environment == "production":
        if not settings.data_master_key:
            raise SystemExit(
                "refusing to start: ENVIRONMENT=production needs DATA_MASTER_KEY (base64 of 32 random "
                "bytes) to protect ID card and bank card numbers"
            )
        try:
            MasterKey.from_text(settings.data_master_key)
        except DataKeyError as exc:
            raise SystemExit(f"refusing to start: {exc}") from None


def master_keys(settings: Settings | None = None) -> tuple[MasterKey, dict[str, MasterKey]]:
    """The current master key, and every key that may have wrapped a data key, by id."""
    settings = settings or get_settings()
    if settings.data_master_key:
        current = MasterKey.from_text(settings.data_master_key)
    elif settings.environment == "production":
        raise DataKeyError("DATA_MASTER_KEY is not set")
    else:
        current = MasterKey.from_text(_dev_key_text(settings.data_dir / DEV_KEY_FILE))
    known = {current.key_id: current}
    for raw in settings.data_master_keys_retired:
        retired = MasterKey.from_text(raw)
        known.setdefault(retired.key_id, retired)
    return current, known


def _aad(purpose: str, version: int) -> bytes:
    return _KEY_AAD + f"{purpose}:{version}".encode()


def wrap(master: MasterKey, data_key: bytes, purpose: str, version: int) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(
        nonce + AESGCM(master.key).encrypt(nonce, data_key, _aad(purpose, version))
    ).decode()


def unwrap(master: MasterKey, wrapped: str, purpose: str, version: int) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(master.key).decrypt(raw[:12], raw[12:], _aad(purpose, version))
    except InvalidTag as exc:
        raise DataKeyError(f"the master key {master.key_id} does not open this data key") from exc


# Unwrapped data keys by wrapped text (unique per row and wrapping): a re-wrap changes the text.
_opened: dict[str, bytes] = {}


def _open(row: DataKey, known: dict[str, MasterKey]) -> bytes:
    key = _opened.get(row.wrapped)
    if key is None:
        master = known.get(row.master_key_id)
        if master is None:
            raise DataKeyError(
                f"data key {row.purpose} v{row.version} is wrapped by master key {row.master_key_id}, "
                "which is neither DATA_MASTER_KEY nor in DATA_MASTER_KEYS_RETIRED"
            )
        key = unwrap(master, row.wrapped, row.purpose, row.version)
        if len(_opened) > 10_000:
            _opened.clear()
        _opened[row.wrapped] = key
    return key


@dataclass(frozen=True)
class Keyring:
    """One tenant's opened keys: every encrypt version (the newest seals) and the search key."""

    encrypt: dict[int, bytes]
    search: bytes

    @property
    def newest(self) -> int:
        return max(self.encrypt)

    def seal(self, plaintext: str, context: str) -> tuple[str, int]:
        version = self.newest
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.encrypt[version]).encrypt(nonce, plaintext.encode(), context.encode())
        return f"v{version}." + base64.b64encode(nonce + sealed).decode(), version

    def open(self, token: str, context: str) -> str:
        head, _, body = token.partition(".")
        raw = base64.b64decode(body)
        key = self.encrypt[int(head.removeprefix("v"))]
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()

    def digest(self, text: str, context: str) -> str:
        return hmac.new(self.search, f"{context}\x00{text}".encode(), hashlib.sha256).hexdigest()


async def _add_key(session: AsyncSession, master: MasterKey, purpose: str, version: int) -> None:
    wrapped = wrap(master, secrets.token_bytes(32), purpose, version)
    await session.execute(
        insert(DataKey)
        .values(purpose=purpose, version=version, wrapped=wrapped, master_key_id=master.key_id)
        .on_conflict_do_nothing(index_elements=["purpose", "version"])
    )


async def existing_keyring(session: AsyncSession) -> Keyring | None:
    """The tenant's keys, or None while it has none (for reads that must not write)."""
    if await session.scalar(select(DataKey.id).limit(1)) is None:
        return None
    return await keyring(session)


async def keyring(session: AsyncSession) -> Keyring:
    """The tenant's keys, made on first use (a concurrent first use keeps whichever row won)."""
    current, known = master_keys()
    rows = list((await session.scalars(select(DataKey))).all())
    if not any(r.purpose == ENCRYPT for r in rows) or not any(r.purpose == SEARCH for r in rows):
        for purpose in (ENCRYPT, SEARCH):
            if not any(r.purpose == purpose for r in rows):
                await _add_key(session, current, purpose, 1)
        rows = list((await session.scalars(select(DataKey))).all())
    encrypt = {r.version: _open(r, known) for r in rows if r.purpose == ENCRYPT}
    search = next(_open(r, known) for r in rows if r.purpose == SEARCH)
    return Keyring(encrypt, search)


async def rewrap(session: AsyncSession) -> int:
    """Wrap every data key not wrapped by the current master key under it; returns how many."""
    current, known = master_keys()
    rows = (
        await session.scalars(
            select(DataKey).where(DataKey.master_key_id != current.key_id).with_for_update()
        )
    ).all()
    for row in rows:
        key = _open(row, known)
        row.wrapped = wrap(current, key, row.purpose, row.version)
        row.master_key_id = current.key_id
        row.rewrapped_at = datetime.now(UTC)
    return len(rows)


async def add_encrypt_version(session: AsyncSession) -> int:
    """Start a new data key version (values sealed from now on use it); returns its number."""
    current, _known = master_keys()
    newest = await session.scalar(select(func.max(DataKey.version)).where(DataKey.purpose == ENCRYPT))
    version = (newest or 0) + 1
    await _add_key(session, current, ENCRYPT, version)
    return version
