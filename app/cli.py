"""``dealercrm``: the operators' command line.

Every command reads DATABASE_URL / REDIS_URL / BASE_DOMAIN / SECRET_KEY from the environment and
falls back to the embedded servers under ./.data/ when the URLs are unset.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.backups.cli import add_backup_parser, add_export_parser, backup_command, tenant_export
from app.inventory.cli import add_stock_parsers, stock_command
from app.platform.cli import LIFECYCLE_COMMANDS, add_lifecycle_parsers, lifecycle_command
from app.privacy.cli import add_keys_parser, keys_command
from app.settings import get_settings
from app.staff.cli import add_user_parser, user_command


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


async def _with_db(fn: Callable[[Any], Awaitable[int]]) -> int:
    from app.db import Database
    from app.runtime import resolve_service_urls

    settings = get_settings()
    urls = resolve_service_urls(settings)
    db = Database(urls.database_url, pool_size=4, statement_cache_size=settings.db_statement_cache_size)
    try:
        return await fn(db)
    finally:
        await db.dispose()


# -- migrate --------------------------------------------------------------------------------------


async def _migrate(db: Any, dry_run: bool, concurrency: int) -> int:
    from tenancy import migrate, registry

    if not dry_run:
        await migrate.upgrade_platform(db.engine)
        print("platform: at head")
    async with db.engine.connect() as conn:
        tenants = await registry.list_tenants(conn)
    schemas = [t.schema_name for t in tenants]
    if dry_run:
        plans = await migrate.plan_upgrades(db.engine, schemas)
        for schema in schemas:
            plan = plans[schema]
            outcome = ", ".join(plan.pending) if plan.pending else "up to date"
            if plan.problem:
                outcome = f"cannot upgrade: {plan.problem}"
            print(f"{schema}: {plan.current or '-'} -> {outcome}")
        pending_total = sum(1 for p in plans.values() if p.pending)
        print(f"{pending_total} of {len(schemas)} tenants have pending revisions")
        problems = sum(1 for p in plans.values() if p.problem)
        if problems:
            return _fail(f"{problems} tenants are at a revision this release does not know", code=2)
        return 0

    report = await migrate.upgrade_tenants(
        db.engine, schemas, concurrency=concurrency, on_progress=_migrate_progress()
    )
    print(
        f"tenants: {report.total}, upgraded {len(report.upgraded)}, already at head {report.skipped}, "
        f"failed {len(report.failed)} in {report.seconds:.1f}s"
    )
    for schema, error in sorted(report.failed.items()):
        print(f"FAILED {schema}: {error}", file=sys.stderr)
    return 0 if report.ok else 2


def _migrate_progress(every_seconds: float = 2.0) -> Callable[[int, int, str, str], None]:
    """Progress for thousands of tenants: a line every few seconds (done, rate, time left), every
    failure as it happens, and the last tenant; not one line per tenant."""
    import time

    started = time.monotonic()
    state = {"last": started, "finished": 0, "failed": 0}

    def progress(done: int, total: int, schema: str, outcome: str) -> None:
        now = time.monotonic()
        state["finished"] += 1
        if outcome == "failed":
            state["failed"] += 1
            print(f"[{done}/{total}] {schema}: failed", flush=True)
        if done < total and now - state["last"] < every_seconds:
            return
        state["last"] = now
        rate = state["finished"] / max(now - started, 1e-6)
        left = f", about {(total - done) / rate:.0f}s left" if done < total else ""
        print(
            f"[{done}/{total}] {100 * done // max(total, 1)}%, {rate:.1f} tenants/s, "
            f"failed {state['failed']}{left}",
            flush=True,
        )

    return progress


# -- tenants --------------------------------------------------------------------------------------


async def _tenant_create(db: Any, args: argparse.Namespace) -> int:
    from app.domain import ValidationFailed
    from app.platform.service import SignUp, sign_up
    from tenancy.migrate import upgrade_platform

    await upgrade_platform(db.engine)
    try:
        tenant = await sign_up(
            db.engine,
            SignUp(
                company_name=args.name,
                slug=args.slug,
                admin_email=args.admin_email,
                admin_password=args.admin_password,
                admin_name=args.admin_name or "",
            ),
        )
    except ValidationFailed as exc:
        return _fail("; ".join(f"{e.field} {e.message}" for e in exc.errors))
    print(f"created tenant {tenant.slug} (schema {tenant.schema_name}); admin {tenant.admin_email}")
    return 0


async def _tenant_list(db: Any) -> int:
    from app.platform.service import tenant_overviews

    rows = await tenant_overviews(db.engine)
    print(f"{'slug':<24}{'status':<11}{'users':>6}{'customers':>11}  created")
    for row in rows:
        t = row.tenant
        print(
            f"{t.slug:<24}{t.status:<11}{row.users if row.users is not None else '?':>6}"
            f"{row.customers if row.customers is not None else '?':>11}  {t.created_at:%Y-%m-%d %H:%M}"
        )
    return 0


async def _tenant_status(db: Any, slug: str, action: str) -> int:
    from app.platform import service
    from app.platform.audit import PlatformActor
    from tenancy.registry import TenantNotFound

    try:
        change = service.suspend if action == "suspend" else service.resume
        tenant = await change(db.engine, slug, PlatformActor.cli())
    except TenantNotFound:
        return _fail(f"no tenant {slug!r}")
    except service.TenantNotLive as exc:
        return _fail(f"{slug} is {exc.status}; restore it first")
    print(f"{tenant.slug}: {tenant.status}")
    return 0


async def _token_create(db: Any, args: argparse.Namespace) -> int:
    from app.accounts import repository as accounts_repo
    from app.accounts.service import create_api_token
    from app.domain import ValidationFailed
    from tenancy.registry import get_tenant

    async with db.engine.connect() as conn:
        tenant = await get_tenant(conn, args.tenant)
    if tenant is None:
        return _fail(f"no tenant {args.tenant!r}")
    async with db.tenant_session(tenant.schema_name) as session:
        user = await accounts_repo.user_by_email(session, args.user)
        if user is None:
            return _fail(f"no user {args.user!r} in tenant {args.tenant!r}")
        try:
            plaintext, _ = await create_api_token(
                session,
                user,
                tenant_slug=tenant.slug,
                name=args.name,
                days=args.days,
                scopes="read" if args.read_only else "read write",
            )
        except ValidationFailed as exc:
            return _fail("; ".join(f"{e.field}: {e.message}" for e in exc.errors))
    print(plaintext)
    return 0


async def _operator_create(db: Any, args: argparse.Namespace) -> int:
    from app.platform.service import create_operator
    from tenancy.migrate import upgrade_platform

    await upgrade_platform(db.engine)
    async with db.platform_session() as session:
        operator = await create_operator(session, email=args.email, name=args.name, password=args.password)
    print(f"operator {operator.email} ready")
    return 0


async def _seed_demo(db: Any, args: argparse.Namespace) -> int:
    from app.demo.seed import seed_demo

    await seed_demo(db, customers=args.customers, reset=args.reset, echo=print)
    return 0


# -- processes ------------------------------------------------------------------------------------


def _serve(host: str, port: int) -> int:
    import uvicorn

    uvicorn.run(
        "web.main:create_web_app", factory=True, host=host, port=port, proxy_headers=True, log_config=None
    )
    return 0


def _worker(check: bool) -> int:
    from arq import run_worker
    from arq.worker import check_health

    from workers.settings import WorkerSettings

    if check:
        return check_health(WorkerSettings)  # type: ignore[arg-type]
    run_worker(WorkerSettings)  # type: ignore[arg-type]
    return 0


def _demo(host: str, port: int, customers: int) -> int:
    """Everything a first look needs: servers, migrations, a demo tenant, the worker and the web."""
    from app.runtime import export_service_urls, resolve_service_urls

    os.environ.setdefault("SECURE_COOKIES", "0")  # plain http on localhost
    get_settings.cache_clear()
    urls = resolve_service_urls(get_settings())
    export_service_urls(urls)
    get_settings.cache_clear()  # the web app in this process must see the URLs just exported
    code = asyncio.run(_with_db(lambda db: _migrate(db, dry_run=False, concurrency=4)))
    if code:
        return code
    asyncio.run(_with_db(lambda db: _seed_demo(db, argparse.Namespace(customers=customers, reset=False))))
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
    base = get_settings().base_domain
    print(
        f"\nDealerCRM is starting:\n"
        f"  staff:     http://demo.{base}:{port}/  (owner@demo.example / demo12345)\n"
        f"  sign-up:   http://{base}:{port}/\n  operators: http://{base}:{port}/operator  "
        f"(operator@dealercrm.example / operator12345)\n",
        flush=True,
    )
    # uvicorn handles SIGTERM/SIGINT itself, then re-raises the signal once the server has stopped:
    # turning that into SystemExit runs the `finally` below (the worker) and the exit hooks (the
    # embedded servers) instead of dying on the spot with everything left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return _serve(host, port)
    except KeyboardInterrupt:
        return 130
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


# -- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dealercrm", description="DealerCRM operators' command line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="upgrade the platform and every tenant schema")
    p.add_argument("--dry-run", action="store_true", help="list pending revisions per tenant, change nothing")
    p.add_argument("--concurrency", type=int, default=4)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="tenant_command", required=True
    )
    p = tenant.add_parser("create", help="create a tenant with its owner")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--admin-email", required=True)
    p.add_argument("--admin-password", required=True)
    p.add_argument("--admin-name", help="the owner's name as staff see it (default: the address before @)")
    tenant.add_parser("list", help="list tenants with status and usage")
    for action in ("suspend", "resume"):
        tenant.add_parser(action, help=f"{action} a tenant").add_argument("slug")
    add_export_parser(tenant)
    add_lifecycle_parsers(tenant)
    add_backup_parser(sub)
    add_keys_parser(sub)
    add_user_parser(sub)

    token = sub.add_parser("token", help="personal access tokens").add_subparsers(
        dest="token_command", required=True
    )
    p = token.add_parser("create", help="create a token and print it once")
    p.add_argument("--tenant", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--name", default="cli")
    p.add_argument("--days", type=int, default=90, help="days until the token expires (default 90)")
    p.add_argument("--read-only", action="store_true", help="the token may read but not change data")

    operator = sub.add_parser("operator", help="platform operators").add_subparsers(
        dest="operator_command", required=True
    )
    p = operator.add_parser("create", help="create (or reset) a platform operator")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password", required=True)

    add_stock_parsers(sub)
    p = sub.add_parser("seed-demo", help="create or top up the demo tenant with realistic data")
    p.add_argument("--customers", type=int, default=2500)
    p.add_argument("--reset", action="store_true", help="drop and recreate the demo tenant first")

    p = sub.add_parser("serve", help="run the web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    p = sub.add_parser("worker", help="run the arq worker")
    p.add_argument("--check", action="store_true", help="exit 0 if a worker's health check is fresh")

    p = sub.add_parser("demo", help="migrate, seed the demo tenant, start the worker and the web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--customers", type=int, default=2500)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The console script: an error is one line on stderr and exit 1, never a traceback.

    ``DEALERCRM_DEBUG=1`` lets the exception through, for a developer who wants the traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("DEALERCRM_DEBUG"):
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if "relation" in detail and "does not exist" in detail:
            return _fail("the database has no DealerCRM tables yet: run `dealercrm migrate` first")
        return _fail(f"{type(exc).__name__}: {detail} (DEALERCRM_DEBUG=1 shows the traceback)")


def _run(args: argparse.Namespace) -> int:
    match args.command:
        case "migrate":
            return asyncio.run(_with_db(lambda db: _migrate(db, args.dry_run, args.concurrency)))
        case "tenant":
            match args.tenant_command:
                case "create":
                    return asyncio.run(_with_db(lambda db: _tenant_create(db, args)))
                case "list":
                    return asyncio.run(_with_db(_tenant_list))
                case "export":
                    return asyncio.run(_with_db(lambda db: tenant_export(db, args)))
                case command if command in LIFECYCLE_COMMANDS:
                    return asyncio.run(_with_db(lambda db: lifecycle_command(db, args)))
                case action:
                    return asyncio.run(_with_db(lambda db: _tenant_status(db, args.slug, action)))
        case "keys":
            return asyncio.run(_with_db(lambda db: keys_command(db, args)))
        case "backup":
            return asyncio.run(_with_db(lambda db: backup_command(db, args)))
        case "user":
            return asyncio.run(_with_db(lambda db: user_command(db, args)))
        case "token":
            return asyncio.run(_with_db(lambda db: _token_create(db, args)))
        case "operator":
            return asyncio.run(_with_db(lambda db: _operator_create(db, args)))
        case "stock" | "catalog":  # stock_command
            return asyncio.run(_with_db(lambda db: stock_command(db, args)))
        case "seed-demo":
            return asyncio.run(_with_db(lambda db: _seed_demo(db, args)))
        case "serve":
            return _serve(args.host, args.port)
        case "worker":
            return _worker(args.check)
        case "demo":
            return _demo(args.host, args.port, args.customers)
    return _fail(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
