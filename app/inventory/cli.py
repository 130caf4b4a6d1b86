"""``dealercrm stock check`` and ``dealercrm catalog seed`` (wired in ``app.cli``).

``stock check --tenant <slug>`` recomputes every stock level from the ledger and lists the levels
that differ (and serial-tracked levels whose units in stock disagree); ``--repair`` sets those
levels to the ledger's sums. Exit code 0 when the tenant is consistent (or was repaired), 1 when
differences were found and left. ``catalog seed`` adds the starting catalog's missing categories,
brands and consumables to an existing tenant.
"""

from __future__ import annotations

import sys
from typing import Any


def add_stock_parsers(sub: Any) -> None:
    stock = sub.add_parser("stock", help="the stock ledger").add_subparsers(
        dest="stock_command", required=True
    )
    p = stock.add_parser("check", help="recompute stock levels from the ledger and report differences")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--repair", action="store_true", help="set differing levels to the ledger's sums")
    catalog = sub.add_parser("catalog", help="the product catalog").add_subparsers(
        dest="catalog_command", required=True
    )
    p = catalog.add_parser("seed", help="add the starting catalog's missing categories, brands, consumables")
    p.add_argument("--tenant", required=True, metavar="SLUG")


async def stock_command(db: Any, args: Any) -> int:
    from app.catalog.starting import install_starting_catalog
    from app.inventory.reports import check_levels
    from tenancy.registry import get_tenant

    async with db.engine.connect() as conn:
        tenant = await get_tenant(conn, args.tenant)
    if tenant is None:
        print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
        return 1
    async with db.tenant_session(tenant.schema_name) as session:
        if args.command == "catalog":
            added = await install_starting_catalog(session)
            print(", ".join(f"{k}: {v} added" for k, v in added.items()))
            return 0
        found = await check_levels(session, repair=args.repair)
    if not found:
        print(f"{tenant.slug}: every stock level equals the sum of its ledger")
        return 0
    for d in found:
        units = f", units in stock {d.units_in_stock}" if d.units_in_stock is not None else ""
        print(
            f"product {d.product_id} warehouse {d.warehouse_id}: level on hand {d.level_on_hand} reserved "
            f"{d.level_reserved}; ledger on hand {d.ledger_on_hand} reserved {d.ledger_reserved}{units}"
        )
    if args.repair:
        print(f"{tenant.slug}: {len(found)} level(s) set to the ledger's sums")
        return 0
    print(
        f"{tenant.slug}: {len(found)} level(s) differ from the ledger (--repair sets them)", file=sys.stderr
    )
    return 1
