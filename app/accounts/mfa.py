"""TOTP second factor: enrolment, verification, recovery codes.

Rules that keep the second factor a second factor:
- Nothing here runs on a GET. Starting an enrolment writes a *pending* secret beside the active one;
  the active secret changes only when a code from the pending one is confirmed.
- A TOTP code is good once: the time step it belongs to is recorded per user (``totp_last_step``)
  with an atomic compare-and-set, so one code cannot open two sessions, confirm an enrolment and
  then log in, or pass two re-authentications.
- A recovery code is spent atomically (two parallel uses: one wins).
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app import crypto, security
from app.accounts import repository as repo
from app.accounts.models import User
from app.domain import FieldError, ValidationFailed

ISSUER = "DealerCRM"
_PURPOSE = "totp"
RECOVERY_CODES = 10
# Codes from the step before and after the current one are accepted (phone clocks drift).
VALID_WINDOW = 1


def is_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def _uri(user: User, secret: str, tenant_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"{ISSUER} {tenant_name}")


def pending_enrollment(user: User, tenant_name: str) -> tuple[str, str] | None:
    """The secret being enrolled and its otpauth:// URI (for the QR code), if an enrolment is under way."""
    if not user.totp_pending_secret:
        return None
    secret = crypto.unseal(user.totp_pending_secret, _PURPOSE)
    return secret, _uri(user, secret, tenant_name)


async def start_enrollment(session: AsyncSession, user: User) -> None:
    """A new pending secret. The active one (if any) keeps working until a code confirms the new one.

    Callers check that the person may do this (a re-enrolment asks for the password or a code)."""
    user.totp_pending_secret = crypto.seal(pyotp.random_base32(), _PURPOSE)
    await session.commit()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code ``code`` is, within the accepted window, or None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def confirm_enrollment(session: AsyncSession, user: User, code: str) -> list[str]:
    """Make the pending secret the active one once the app shows a matching code; returns the
    recovery codes, shown once. Any earlier secret and recovery codes stop working."""
    pending = pending_enrollment(user, "")
    step = _matching_step(pending[0], code) if pending else None
    if pending is None or step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise ValidationFailed(
            [FieldError("code", "invalid_code", "the code does not match; check the time on your phone")]
        )
    codes = [f"{secrets.randbelow(10**5):05d}-{secrets.randbelow(10**5):05d}" for _ in range(RECOVERY_CODES)]
    user.totp_secret = user.totp_pending_secret
    user.totp_pending_secret = None
    user.totp_last_step = step
    user.recovery_code_hashes = [security.token_hash(c) for c in codes]
    user.totp_enabled_at = datetime.now(UTC)
    await session.commit()
    return codes


async def verify(session: AsyncSession, user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (which is then spent). Commits."""
    code = (code or "").strip().replace(" ", "")
    if user.totp_secret:
        step = _matching_step(crypto.unseal(user.totp_secret, _PURPOSE), code)
        if step is not None:
            accepted = await repo.accept_totp_step(session, user.id, step)
            await session.commit()
            if accepted:
                set_committed_value(user, "totp_last_step", step)
            return accepted
    if not code or (code.isdigit() and len(code) == 6):
        return False
    hashed = security.token_hash(code)
    if hashed not in (user.recovery_code_hashes or []):
        return False
    spent = await repo.spend_recovery_code(session, user.id, hashed)
    await session.commit()
    if spent:
        set_committed_value(
            user, "recovery_code_hashes", [h for h in user.recovery_code_hashes if h != hashed]
        )
    return spent


async def disable(session: AsyncSession, user: User) -> None:
    """Callers check the password or a code first."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.recovery_code_hashes = []
    await session.commit()
