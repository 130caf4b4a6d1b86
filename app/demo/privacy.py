"""Demo personal data (PIPL): consents on the newest customers, a few ID card numbers sealed under
the demo dealer's keys, one consent withdrawn, through the services (so audit and timeline have them).
Idempotent: a tenant that already holds consents is left alone."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable

from sqlalchemy import select

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.customers.models import Customer
from app.db import Database
from app.privacy import consents, sensitive
from app.privacy.models import Consent

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Hangzhou districts' division codes (the demo dealer is in 杭州).
_REGIONS = ("330102", "330105", "330106", "330108", "330110")


def demo_id_number(rng: random.Random) -> str:
    """A well-formed, made-up resident ID number (region, birth date, sequence, check character)."""
    body = f"{rng.choice(_REGIONS)}{rng.randint(1955, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


async def ensure_demo_privacy(
    db: Database, schema: str, owner_id: uuid.UUID, *, echo: Callable[[str], object] = print
) -> None:
    rng = random.Random(9)
    async with db.tenant_session(schema) as session:
        if await session.scalar(select(Consent.id).limit(1)) is not None:
            return
        user = await accounts_repo.user_by_id(session, owner_id)
        if user is None:
            return
        owner = actor_for(user, ip="127.0.0.1", request_id="demo-seed")
        ids = list(
            (
                await session.scalars(
                    select(Customer.id)
                    .where(Customer.deleted_at.is_(None))
                    .order_by(Customer.created_at.desc())
                    .limit(12)
                )
            ).all()
        )
        for i, customer_id in enumerate(ids):
            await consents.record_consent(session, owner, customer_id, "marketing_sms", "in_store", "2026-01")
            if i % 3 == 0:
                await consents.record_consent(
                    session, owner, customer_id, "sensitive_data", "paper", "2026-01"
                )
                await sensitive.save_sensitive(
                    session, owner, "customer", customer_id, {"id_card": demo_id_number(rng)}
                )
            if i == 1:
                await consents.record_consent(
                    session, owner, customer_id, "marketing_email", "online", "2025-06"
                )
                await consents.withdraw_consent(session, owner, customer_id, "marketing_email", "phone")
    echo(f"demo: consents on {len(ids)} customers, {len(ids[::3])} ID card numbers (sealed)")
