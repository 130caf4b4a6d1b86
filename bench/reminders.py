"""The reminder sweep over 100,000 due follow-ups across 100 tenants: wall time and exactly-once.

100 tenants ``bench-rem-001`` ... (sign-up as the form does it, then four salespeople hired with one
shared password hash), each with 100 customers and 1,000 follow-ups whose planned next time has
passed, spread over the five staff (one ``INSERT ... SELECT`` per tenant: arranging, not measured).
One salesperson per tenant asked for reminders by email too, so a fifth of the reminders also go out
through the mail adapter (the recording adapter: a row in ``public.outbox_mail`` each).

Timed, with the code the worker's cron job runs (``workers.jobs.reminders``: ``remind_tenant`` then
``deliver_pending`` per tenant):

1. **one sweep**: every tenant reminded in turn (batches of ``--batch`` rows, one transaction each),
   then the emails delivered; counted afterwards: notifications, distinct (recipient, cause) keys,
   follow-ups left unreminded, deliveries sent, mails recorded. Exactly-once means notifications =
   distinct keys = 100,000, nothing left, mails = deliveries = 20,000.
2. **idle sweep**: the same again with nothing due (the cost of the every-minute cron when idle).
3. **three sweeps at once** (three workers' overlapping minutes) after resetting: the same counts
   must hold, and the wall time of the three together.

Runs in the scratch database ``dcrm_bench``; the tenants are kept for ``--reuse``.

    .venv/bin/python bench/reminders.py [--tenants 100] [--per-tenant 1000] [--batch 500] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from common import bench_app, postgres_version, warn_if_busy, write_result
from sqlalchemy import text

PASSWORD = "bench-password-9"
STAFF = ("sales1", "sales2", "sales3", "sales4")


def slug_of(i: int) -> str:
    return f"bench-rem-{i:03d}"


async def ensure_tenants(app: Any, count: int, per_tenant: int) -> list[tuple[str, str]]:
    """(schema, slug) of the bench tenants, created and seeded when missing."""
    from app import security
    from app.accounts import service as accounts
    from app.platform.service import SignUp, sign_up
    from tenancy.registry import get_tenant

    db = app.state.db
    shared_hash = security.hash_password(PASSWORD)
    found = []
    for i in range(1, count + 1):
        slug = slug_of(i)
        async with db.engine.connect() as conn:
            tenant = await get_tenant(conn, slug)
        if tenant is None:
            tenant = await sign_up(
                db.engine,
                SignUp(
                    company_name=f"提醒基准家电{i}号店",
                    slug=slug,
                    admin_email=f"owner@{slug}.example",
                    admin_password=PASSWORD,
                    admin_name="王建国",
                ),
            )
            async with db.tenant_session(tenant.schema_name) as session:
                for key in STAFF:
                    await accounts.create_user(
                        session,
                        email=f"{key}@{slug}.example",
                        name=f"销售{key[-1]}",
                        password=PASSWORD,
                        role_key="sales",
                        password_hash=shared_hash,
                    )
                await session.commit()
            await seed(db, tenant.schema_name, per_tenant)
        else:
            await top_up(db, tenant.schema_name, per_tenant)
        found.append((tenant.schema_name, slug))
    return found


async def seed(db: Any, schema: str, per_tenant: int) -> None:
    async with db.engine.begin() as conn:
        q = f'"{schema}"'
        await conn.execute(
            text(
                f"INSERT INTO {q}.customers (name, kind, status, owner_id, version, custom, search_grams, "
                f"search_text) SELECT '基准客户' || g, 'individual', 'lead', "
                f"(SELECT id FROM {q}.users ORDER BY email LIMIT 1 OFFSET g % 5), 1, '{{}}', '{{}}', '' "
                "FROM generate_series(1, 100) AS g"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO {q}.follow_ups (customer_id, channel, summary, owner_id, happened_at, next_at, "
                "version, custom) SELECT c.id, 'call', '电话回访 ' || g, c.owner_id, "
                "now() - interval '2 days', now() - (g || ' seconds')::interval, 1, '{}' "
                "FROM generate_series(1, :n) AS g "
                f"JOIN LATERAL (SELECT id, owner_id FROM {q}.customers ORDER BY name "
                "OFFSET g % 100 LIMIT 1) c ON true"
            ).bindparams(n=per_tenant)
        )
        await conn.execute(
            text(
                f"INSERT INTO {q}.notification_preferences (user_id, kind, channel, enabled) "
                f"SELECT id, 'follow_up.due', 'email', true FROM {q}.users WHERE email LIKE 'sales1@%' "
                "ON CONFLICT DO NOTHING"
            )
        )


async def top_up(db: Any, schema: str, per_tenant: int) -> None:
    """A reused tenant gets follow-ups up to ``per_tenant`` (an earlier, smaller run made fewer)."""
    async with db.engine.begin() as conn:
        have = int(await conn.scalar(text(f'SELECT count(*) FROM "{schema}".follow_ups')) or 0)
        if have < per_tenant:
            await conn.execute(
                text(
                    f'INSERT INTO "{schema}".follow_ups (customer_id, channel, summary, owner_id, '
                    "happened_at, next_at, version, custom) "
                    "SELECT customer_id, channel, summary, owner_id, happened_at, "
                    f"next_at - interval '1 hour', 1, '{{}}' FROM \"{schema}\".follow_ups "
                    "CROSS JOIN generate_series(1, :n) LIMIT :n"
                ).bindparams(n=per_tenant - have)
            )


async def reset(db: Any, tenants: list[tuple[str, str]]) -> None:
    """Every follow-up due and unreminded again; no notifications; no recorded bench mail."""
    for schema, _slug in tenants:
        async with db.engine.begin() as conn:
            await conn.execute(text(f'DELETE FROM "{schema}".notifications'))
            await conn.execute(text(f'UPDATE "{schema}".follow_ups SET reminded_at = NULL'))
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM public.outbox_mail WHERE tenant_slug LIKE 'bench-rem-%'"))


async def sweep(
    db: Any, tenants: list[tuple[str, str]], channels: dict[str, Any], batch: int
) -> dict[str, int]:
    """What ``workers.jobs.reminders.sweep_reminders`` does, over the bench tenants only."""
    from app.followups.reminders import remind_tenant
    from app.notifications.delivery import deliver_pending

    totals = {"follow_ups": 0, "sent": 0}
    for schema, slug in tenants:
        run = await remind_tenant(db, schema, batch=batch)
        sent = await deliver_pending(db, schema, channels, tenant_slug=slug)
        totals["follow_ups"] += run.follow_ups
        totals["sent"] += sent.sent
    return totals


async def counts(db: Any, tenants: list[tuple[str, str]]) -> dict[str, int]:
    found = {
        "follow_ups": 0,
        "notifications": 0,
        "distinct_keys": 0,
        "unreminded": 0,
        "deliveries_sent": 0,
        "deliveries_other": 0,
    }
    for schema, _slug in tenants:
        q = f'"{schema}"'
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        f"SELECT (SELECT count(*) FROM {q}.follow_ups), "
                        f"(SELECT count(*) FROM {q}.notifications), "
                        f"(SELECT count(DISTINCT (recipient_id, dedupe_key)) FROM {q}.notifications), "
                        f"(SELECT count(*) FROM {q}.follow_ups WHERE reminded_at IS NULL), "
                        f"(SELECT count(*) FROM {q}.notification_deliveries WHERE status = 'sent'), "
                        f"(SELECT count(*) FROM {q}.notification_deliveries WHERE status <> 'sent')"
                    )
                )
            ).one()
        for key, value in zip(found, row, strict=True):
            found[key] += int(value)
    async with db.engine.connect() as conn:
        found["mails_recorded"] = int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM public.outbox_mail WHERE tenant_slug LIKE 'bench-rem-%' "
                    "AND kind = 'notification:follow_up.due'"
                )
            )
            or 0
        )
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--per-tenant", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--reuse", action="store_true", help="keep existing bench tenants (default too)")
    parser.add_argument("--concurrent", type=int, default=3, help="sweeps at once in step 3 (0: skip it)")
    args = parser.parse_args()
    from app.mail import RecordingMailer
    from app.notifications.channels import EmailChannel

    async with bench_app() as app:
        db = app.state.db
        started = time.perf_counter()
        tenants = await ensure_tenants(app, args.tenants, args.per_tenant)
        seeded = time.perf_counter() - started
        channels = {"email": EmailChannel(RecordingMailer(db.engine))}
        await reset(db, tenants)
        warn_if_busy()

        t0 = time.perf_counter()
        first = await sweep(db, tenants, channels, args.batch)
        one = time.perf_counter() - t0
        after_one = await counts(db, tenants)

        t0 = time.perf_counter()
        idle = await sweep(db, tenants, channels, args.batch)
        idle_seconds = time.perf_counter() - t0

        runs: list[dict[str, int]] = []
        three = 0.0
        after_three = after_one
        if args.concurrent:
            await reset(db, tenants)
            t0 = time.perf_counter()
            runs = list(
                await asyncio.gather(
                    *(sweep(db, tenants, channels, args.batch) for _ in range(args.concurrent))
                )
            )
            three = time.perf_counter() - t0
            after_three = await counts(db, tenants)

        due = after_one["follow_ups"]
        result = {
            "tenants": args.tenants,
            "due_follow_ups": due,
            "batch": args.batch,
            "seed_seconds": round(seeded, 1),
            "postgres": await postgres_version(),
            "one_sweep": {
                "seconds": round(one, 2),
                "reminded": first["follow_ups"],
                "emails_sent": first["sent"],
                "per_second": round(first["follow_ups"] / one),
                **after_one,
            },
            "idle_sweep": {"seconds": round(idle_seconds, 2), "reminded": idle["follow_ups"]},
            "sweeps_at_once": {
                "sweeps": args.concurrent,
                "seconds": round(three, 2),
                "reminded_by_each": [r["follow_ups"] for r in runs],
                "emails_by_each": [r["sent"] for r in runs],
                **after_three,
            },
        }
        exactly_once = all(
            c["notifications"] == c["distinct_keys"] == due
            and c["unreminded"] == 0
            and c["mails_recorded"] == c["deliveries_sent"]
            and c["deliveries_other"] == 0
            for c in (after_one, after_three)
        )
        result["exactly_once"] = exactly_once
        path = write_result("reminders", result)
        print(
            f"one sweep: {one:.1f} s for {due:,} due follow-ups in {args.tenants} tenants "
            f"({first['follow_ups'] / one:,.0f}/s), {first['sent']:,} emails"
        )
        print(f"  counted: {after_one}")
        print(f"idle sweep: {idle_seconds:.2f} s")
        each = [r["follow_ups"] for r in runs]
        print(f"{args.concurrent} sweeps at once: {three:.1f} s, reminded by each {each}")
        print(f"  counted: {after_three}")
        print(f"exactly once: {exactly_once}  ({path})")


if __name__ == "__main__":
    asyncio.run(main())
