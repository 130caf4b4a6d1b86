"""The ``dealercrm backup ...`` and ``dealercrm tenant export`` commands (wired in ``app.cli``).

Each prints its steps as it goes and ends with exit code 0, or 1 and one ``error:`` line saying
what went wrong (unknown tenant or backup, a refused file, a busy tenant...), never a traceback
for a problem the operator can fix.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

# Imports of the backup machinery happen inside the commands: ``dealercrm --help`` stays quick.


def add_backup_parser(sub: Any) -> None:
    backup = sub.add_parser("backup", help="tenant backups").add_subparsers(
        dest="backup_command", required=True
    )
    p = backup.add_parser("run", help="back up a tenant now, then verify the backup")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--no-verify", action="store_true", help="skip the verification restore")
    p = backup.add_parser("list", help="list a tenant's backups")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p = backup.add_parser("verify", help="restore a backup into a scratch schema and compare it")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--backup", required=True, metavar="ID", help="the id, or its first 8+ characters")
    p = backup.add_parser("restore", help="restore a tenant to a backup, or into a new tenant")
    p.add_argument("--tenant", required=True, metavar="SLUG")
    p.add_argument("--backup", required=True, metavar="ID", help="the id, or its first 8+ characters")
    p.add_argument("--into", metavar="NEW_SLUG", help="restore into a new tenant instead (for inspection)")
    p.add_argument("--yes", action="store_true", help="replace the tenant's data without asking")


def add_export_parser(tenant_sub: Any) -> None:
    p = tenant_sub.add_parser("export", help="write a tenant's data as a ZIP of JSON and CSV per table")
    p.add_argument("slug")
    p.add_argument("--out", required=True, metavar="FILE.zip")


def _say(message: str) -> None:
    print(message, flush=True)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return 1


async def backup_command(db: Any, args: argparse.Namespace) -> int:
    from app.backups.crypto import BackupFileError, BackupKeyError
    from app.backups.pgtools import PgToolMissing
    from app.backups.service import BackupError

    try:
        match args.backup_command:
            case "run":
                return await _run(db, args)
            case "list":
                return await _list(db, args.tenant)
            case "verify":
                return await _verify(db, args)
            case "restore":
                return await _restore(db, args)
    except BackupFileError as exc:
        return _fail(f"refused, nothing was changed: {exc}")
    except (BackupError, BackupKeyError, PgToolMissing) as exc:
        return _fail(str(exc))
    return _fail(f"unknown backup command {args.backup_command}")


async def _run(db: Any, args: argparse.Namespace) -> int:
    from app.backups.service import run_backup
    from app.backups.verify import verify_backup

    backup = await run_backup(db, args.tenant, progress=_say)
    if not args.no_verify:
        await verify_backup(db, backup.id, progress=_say)
    _say(f"backup {backup.id}")
    return 0


async def _list(db: Any, slug: str) -> int:
    from app.backups.service import human_size, list_backups, short_id

    backups = await list_backups(db, slug)
    if not backups:
        _say(f"{slug}: no backups yet")
        return 0
    _say(f"{'id':<10}{'taken (UTC)':<18}{'kind':<9}{'status':<11}{'size':>10}  {'verified (UTC)':<16}  note")
    for b in backups:
        verified = f"{b.verified_at:%Y-%m-%d %H:%M}" if b.verified_at else "-"
        note = (b.error or "")[:60]
        _say(
            f"{short_id(b.id):<10}{b.created_at:%Y-%m-%d %H:%M}  {b.kind:<9}{b.status:<11}"
            f"{human_size(b.size_bytes):>10}  {verified:<16}  {note}"
        )
    return 0


async def _verify(db: Any, args: argparse.Namespace) -> int:
    from app.backups.service import find_backup, get_tenant
    from app.backups.verify import verify_backup

    await get_tenant(db, args.tenant)
    backup = await find_backup(db, args.tenant, args.backup)
    await verify_backup(db, backup.id, progress=_say)
    return 0


async def _restore(db: Any, args: argparse.Namespace) -> int:
    from app.backups.restore import restore_backup
    from app.backups.service import find_backup, short_id

    backup = await find_backup(db, args.tenant, args.backup)
    if args.into is None and not args.yes:
        if not sys.stdin.isatty():
            return _fail(
                f"restoring replaces the current data of {args.tenant}; confirm with --yes "
                "(or use --into NEW_SLUG to restore into a new tenant)"
            )
        print(
            f"This replaces all data of tenant {args.tenant} with backup {short_id(backup.id)} taken "
            f"{backup.created_at:%Y-%m-%d %H:%M} UTC (the current data is kept aside).",
            flush=True,
        )
        answer = await asyncio.to_thread(input, f"Type the tenant slug ({args.tenant}) to continue: ")
        if answer.strip() != args.tenant:
            return _fail("not confirmed; nothing was changed")
    outcome = await restore_backup(db, backup.id, into_slug=args.into, progress=_say)
    _say(f"restored {outcome.tenant_slug} from backup {short_id(backup.id)} in {outcome.seconds:.2f}s")
    return 0


async def tenant_export(db: Any, args: argparse.Namespace) -> int:
    from app.backups.export import export_tenant
    from app.backups.service import BackupError

    try:
        await export_tenant(db, args.slug, Path(args.out), progress=_say)
    except BackupError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"could not write {args.out}: {exc.strerror or exc}")
    return 0
