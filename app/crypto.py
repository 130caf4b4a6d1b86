"""Small secrets kept in the database (TOTP seeds), sealed with AES-GCM under a key from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.settings import get_settings

_VERSION = b"v1"


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"dealercrm:{purpose}:{get_settings().secret_key}".encode()).digest()


def seal(plaintext: str, purpose: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(purpose)).encrypt(nonce, plaintext.encode(), _VERSION + purpose.encode())
    return (_VERSION + b"." + base64.urlsafe_b64encode(nonce + sealed)).decode()


def unseal(token: str, purpose: str) -> str:
    version, _, body = token.encode().partition(b".")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_key(purpose)).decrypt(raw[:12], raw[12:], version + purpose.encode()).decode()
