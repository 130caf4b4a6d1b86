"""TOTP second factor: enrolment, verification, recovery codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from app import crypto, security
from app.accounts.models import User
from app.domain import FieldError, ValidationFailed

ISSUER = "DealerCRM"
_PURPOSE = "totp"
RECOVERY_CODES = 10


def is_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


async def start_enrollment(session: AsyncSession, user: User, tenant_name: str) -> tuple[str, str]:
    """A new secret (not active until confirmed with a code) and its otpauth:// URI for the QR code."""
    secret = pyotp.random_base32()
    user.totp_secret = crypto.seal(secret, _PURPOSE)
    user.totp_enabled_at = None
    await session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"{ISSUER} {tenant_name}")
    return secret, uri


def _totp(user: User) -> pyotp.TOTP | None:
    if not user.totp_secret:
        return None
    return pyotp.TOTP(crypto.unseal(user.totp_secret, _PURPOSE))


async def confirm_enrollment(session: AsyncSession, user: User, code: str) -> list[str]:
    """Activate 2FA once the app shows a matching code; returns the recovery codes, shown once."""
    totp = _totp(user)
    if totp is None or not totp.verify((code or "").replace(" ", ""), valid_window=1):
        raise ValidationFailed(
            [FieldError("code", "invalid_code", "the code does not match; check the time on your phone")]
        )
    codes = [f"{secrets.randbelow(10**5):05d}-{secrets.randbelow(10**5):05d}" for _ in range(RECOVERY_CODES)]
    user.recovery_code_hashes = [security.token_hash(c) for c in codes]
    user.totp_enabled_at = datetime.now(UTC)
    await session.commit()
    return codes


async def verify(session: AsyncSession, user: User, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (which is then spent)."""
    code = (code or "").strip().replace(" ", "")
    totp = _totp(user)
    if totp is not None and code.isdigit() and totp.verify(code, valid_window=1):
        return True
    hashed = security.token_hash(code)
    if hashed in (user.recovery_code_hashes or []):
        user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != hashed]
        await session.commit()
        return True
    return False


async def disable(session: AsyncSession, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.recovery_code_hashes = []
    await session.commit()
