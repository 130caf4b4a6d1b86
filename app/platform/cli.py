"""``dealercrm tenant plan|delete|restore|purge-due``: the tenant lifecycle from the command line.

Every change is recorded in the platform audit log as ``cli:<login name>``; refusals print one
line saying why (naming the resource and numbers for a plan change) and exit non-zero.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

LIFECYCLE_COMMANDS = ("plan", "delete", "restore", "purge-due")


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def add_lifecycle_parsers(tenant: Any) -> None:
    """Add the lifecycle commands to ``dealercrm tenant``'s subparsers."""
    from app.platform.plans import PLANS

    p = tenant.add_parser("plan", help="move a tenant to another plan (refused below its current usage)")
    p.add_argument("slug")
    p.add_argument("plan", help=f"one of: {', '.join(PLANS)}")
    p = tenant.add_parser(
        "delete", help="delete a tenant (final backup first; purged after the grace period)"
    )
    p.add_argument("slug")
    p.add_argument(
        "--yes", action="store_true", help="confirm: the tenant's staff and tokens are refused at once"
    )
    p = tenant.add_parser("restore", help="bring back a deleted tenant that has not been purged yet")
    p.add_argument("slug")
    tenant.add_parser("purge-due", help="purge deleted tenants whose grace period has ended (the hourly job)")


async def lifecycle_command(db: Any, args: argparse.Namespace) -> int:
    from app.platform import lifecycle
    from app.platform.audit import PlatformActor
    from app.platform.plans import PLANS, UnknownPlan
    from app.settings import get_settings
    from tenancy.migrate import upgrade_platform
    from tenancy.registry import TenantNotFound

    settings = get_settings()
    await upgrade_platform(db.engine)
    by = PlatformActor.cli()
    command = args.tenant_command
    try:
        if command == "plan":
            tenant = await lifecycle.change_plan(db.engine, settings, args.slug, args.plan, by)
            ends = f", trial until {tenant.trial_ends_at:%Y-%m-%d %H:%M} UTC" if tenant.trial_ends_at else ""
            print(f"{tenant.slug}: plan {tenant.plan}{ends}; status {tenant.status}")
        elif command == "delete":
            if not args.yes:
                return _fail(
                    f"deleting {args.slug} locks out its staff and tokens at once; add --yes to confirm"
                )
            print(f"{args.slug}: taking a final backup...", flush=True)
            tenant = await lifecycle.delete_tenant(db, settings, args.slug, by)
            until = f"{tenant.delete_after:%Y-%m-%d %H:%M} UTC"
            print(f"{tenant.slug}: deleted; restorable until {until}, purged after")
        elif command == "restore":
            tenant = await lifecycle.restore_tenant(db.engine, args.slug, by)
            print(f"{tenant.slug}: restored ({tenant.status})")
        elif command == "purge-due":
            report = await lifecycle.purge_due(db.engine, settings)
            for slug in report.purged:
                print(f"{slug}: purged")
            for slug, error in sorted(report.failed.items()):
                print(f"FAILED {slug}: {error}", file=sys.stderr)
            print(f"purged {len(report.purged)}, failed {len(report.failed)}")
            return 2 if report.failed else 0
    except TenantNotFound:
        return _fail(f"no tenant {args.slug!r}")
    except UnknownPlan:
        return _fail(f"no plan {args.plan!r}; choose one of: {', '.join(PLANS)}")
    except lifecycle.LifecycleRefused as refusal:
        return _fail(refusal.message)
    return 0
