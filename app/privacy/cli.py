"""``dealercrm keys rotate`` (wired in ``app.cli``): re-wrap every tenant's data keys under the
current ``DATA_MASTER_KEY`` and, with ``--reencrypt``, seal the values again under a new data key
version in batches. Nothing stops meanwhile: every process opens keys wrapped by the current or a
retired master key (``DATA_MASTER_KEYS_RETIRED``) and values under every data key version.

    1. DATA_MASTER_KEY=<new> DATA_MASTER_KEYS_RETIRED=<old>  (deploy: every process reads both)
    2. dealercrm keys rotate [--reencrypt] [--batch-size 500]
    3. drop <old> from DATA_MASTER_KEYS_RETIRED (deploy)
"""

from __future__ import annotations

import sys
from typing import Any


def add_keys_parser(sub: Any) -> None:
    keys = sub.add_parser("keys", help="encryption keys of sensitive personal data").add_subparsers(
        dest="keys_command", required=True
    )
    p = keys.add_parser("rotate", help="re-wrap every tenant's data keys under DATA_MASTER_KEY")
    p.add_argument("--reencrypt", action="store_true", help="also seal every value under a new data key")
    p.add_argument("--batch-size", type=int, default=500, help="values per transaction when re-encrypting")
    p.add_argument("--tenant", metavar="SLUG", help="only this tenant")


async def rotate(db: Any, *, reencrypt: bool = False, batch_size: int = 500, only: str | None = None) -> int:
    """Rotate every active tenant; a failing tenant is reported and the others go on. Exit code 1
    when any tenant failed."""
    from sqlalchemy import select

    from app.privacy import keys, sensitive
    from app.privacy.models import DataKey
    from tenancy.registry import list_tenants

    async with db.engine.connect() as conn:
        tenants = [t for t in await list_tenants(conn) if only is None or t.slug == only]
    failed = 0
    for tenant in tenants:
        try:
            async with db.tenant_session(tenant.schema_name) as session:
                if await session.scalar(select(DataKey.id).limit(1)) is None:
                    print(f"{tenant.slug}: no sensitive data yet")
                    continue
                rewrapped = await keys.rewrap(session)
                await session.commit()
                moved = 0
                if reencrypt:
                    newest = await keys.add_encrypt_version(session)
                    await session.commit()
                    while batch := await sensitive.reencrypt_batch(session, newest, batch_size):
                        moved += batch
                        await session.commit()
            print(
                f"{tenant.slug}: {rewrapped} data keys re-wrapped"
                + (f", {moved} values re-encrypted" if reencrypt else "")
            )
        except Exception as exc:  # one broken tenant must not stop the rotation of the others
            failed += 1
            print(f"{tenant.slug}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failed else 0


async def keys_command(db: Any, args: Any) -> int:
    return await rotate(db, reencrypt=args.reencrypt, batch_size=max(1, args.batch_size), only=args.tenant)
