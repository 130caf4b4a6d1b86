"""Custom fields at 200,000 customers: the list filtered on custom fields, and custom-field search.

    .venv/bin/python bench/custom_fields.py [--customers 200000] [--queries 200] [--keep]

Builds its own database (``dcrm_bench_cf``, dropped afterwards unless ``--keep``): the
``bench-search`` tenant seeded by the demo's bulk path (as bench/search.py), five custom fields
defined through the service (a single choice 购买渠道, an integer 房间数, a date 预计送货日, a
searchable text 小区 and a yes/no 以旧换新), and values on every customer written in SQL (skewed
like real data: most buy in store or on JD, a few on Douyin). The searchable text joins each
customer's search grams exactly as ``index_customer`` would add it.

Timed through the customer service (the path both faces use), interleaved, after a warm-up:
- ``plain``: the first page of the list, newest first, with its capped count, no filter;
- ``custom``: the list filtered on the select (``custom @> {"channel": "jd"}``, GIN
  ``jsonb_path_ops``) and a number range (``rooms >= 4``, guarded numeric cast);
- ``builtin``: the same list without custom fields: the same rows, filtered on two built-in
  columns that mirror them (tier = gold where the channel is JD, status = interested where
  rooms >= 4; status has its btree index);
- ``plain``: the list with no filter at all (for scale);
- ``search``: the Chinese search path for estate names (a searchable custom text field).
Reports p50/p95 (ms) and the ratio custom/builtin (target below 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

import common
from common import actor_of, raw_connection, summary, write_result

common.BENCH_DB = "dcrm_bench_cf"
ADMIN = "admin@demo.example"
TARGET_RATIO = 1.5
CHANNELS = [
    ("store", "门店", 40),
    ("jd", "京东", 25),
    ("tmall", "天猫", 20),
    ("referral", "老客介绍", 10),
    ("douyin", "抖音", 5),
]
# Estates (小区) as developer + project name: 20 x 15 = 300, about 670 customers each at 200,000.
DEVELOPERS = [
    "万科",
    "绿地",
    "碧桂园",
    "保利",
    "龙湖",
    "融创",
    "中海",
    "华润",
    "金地",
    "招商",
    "世茂",
    "新城",
    "旭辉",
    "阳光城",
    "雅居乐",
    "远洋",
    "建发",
    "美的",
    "滨江",
    "绿城",
]
PROJECTS = [
    "城市花园",
    "海珀",
    "凤凰城",
    "天悦",
    "春江郦城",
    "壹号院",
    "国际社区",
    "橡树湾",
    "自在城",
    "雍华府",
    "滨江花园",
    "香溢澜庭",
    "江山府",
    "翡丽湾",
    "锦绣华城",
]
ESTATES = [d + p for d in DEVELOPERS for p in PROJECTS]
# Searches: whole estate names (about 670 each) and project names shared by 20 developers' estates.
SEARCHES = [
    "万科城市花园",
    "绿地海珀",
    "保利天悦",
    "滨江锦绣华城",
    "招商雍华府",
    "橡树湾",
    "春江郦城",
    "翡丽湾",
]


async def _define_fields(session: Any, actor: Any) -> None:
    from app.customfields import service
    from app.customfields.service import FieldDraft

    existing = {d.key for d in await service.active_definitions(session, "customer")}
    drafts = [
        FieldDraft(
            key="channel",
            label_zh="购买渠道",
            type="single_select",
            filterable=True,
            show_in_list=True,
            options=[{"value": v, "label_zh": label} for v, label, _ in CHANNELS],
        ),
        FieldDraft(
            key="rooms", label_zh="房间数", type="integer", filterable=True, validation={"min": 1, "max": 20}
        ),
        FieldDraft(key="deliver_on", label_zh="预计送货日", type="date", filterable=True),
        FieldDraft(key="estate", label_zh="小区", type="text", searchable=True, filterable=True),
        FieldDraft(key="old_for_new", label_zh="以旧换新", type="boolean", filterable=True),
    ]
    for draft in drafts:
        if draft.key not in existing:
            await service.define_field(session, actor, "customer", draft)


async def _fill_values(schema: str) -> float:
    """Custom values on every customer in one pass, and the estate's grams in the search columns.

    The built-in ``tier`` and ``status`` are set to mirror two custom fields (tier gold exactly
    where the channel is JD, status interested exactly where rooms >= 4), so the list filtered on
    the built-in columns returns the very rows the custom-field filter returns: "the same list
    without custom fields".
    """
    from app.search.grams import build_document

    started = time.perf_counter()
    raw = await raw_connection()
    try:
        table = f'"{schema}".customers'
        bounds, running = [], 0
        for _value, _label, weight in CHANNELS:
            running += weight
            bounds.append(running)
        channel_case = " ".join(
            f"WHEN c < {b} THEN '{v}'" for (v, _, _), b in zip(CHANNELS, bounds, strict=True)
        )
        docs = [build_document([estate]) for estate in ESTATES]
        sep = chr(31)
        for index in ("ix_customers_custom", "ix_customers_search_grams", "ix_customers_status"):
            await raw.execute(f'DROP INDEX IF EXISTS "{schema}".{index}')
        await raw.execute(
            f"""
            UPDATE {table} AS c SET
                custom = jsonb_build_object(
                    'channel', h.channel, 'rooms', h.rooms,
                    'deliver_on', to_char(date '2025-06-01' + (h.d % 540), 'YYYY-MM-DD'),
                    'estate', e.name, 'old_for_new', (h.b % 3 = 0)
                ),
                search_grams = c.search_grams || string_to_array(e.grams, chr(31)),
                search_text = c.search_text || ' ' || e.text,
                tier = CASE h.channel WHEN 'jd' THEN 'gold' WHEN 'tmall' THEN 'silver'
                                      WHEN 'referral' THEN 'vip' ELSE 'normal' END,
                status = CASE WHEN h.rooms >= 4 THEN 'interested' WHEN h.b % 2 = 0 THEN 'lead' ELSE 'won' END
            FROM (
                SELECT id, CASE {channel_case} END AS channel, 1 + (r % 6) AS rooms, d, b, e
                FROM (
                    SELECT id,
                           abs(hashtext(id::text)) % 100 AS c, abs(hashtext(id::text || 'r')) AS r,
                           abs(hashtext(id::text || 'd')) AS d, abs(hashtext(id::text || 'e')) AS e,
                           abs(hashtext(id::text || 'b')) AS b
                    FROM {table}
                ) AS hashed
            ) AS h
            JOIN unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS e(i, name, grams, text)
              ON e.i = h.e % {len(ESTATES)}
            WHERE h.id = c.id
            """,
            list(range(len(ESTATES))),
            ESTATES,
            [sep.join(d.grams) for d in docs],
            [d.text for d in docs],
        )
        await raw.execute(f"CREATE INDEX ix_customers_custom ON {table} USING gin (custom jsonb_path_ops)")
        await raw.execute(f"CREATE INDEX ix_customers_search_grams ON {table} USING gin (search_grams)")
        await raw.execute(f"CREATE INDEX ix_customers_status ON {table} (status)")
        await raw.execute(f"VACUUM ANALYZE {table}")
    finally:
        await raw.close()
    return time.perf_counter() - started


async def run(customers: int, n_queries: int, keep: bool) -> dict[str, Any]:
    from app.customers import service
    from app.customers.repository import CustomerFilter

    async with common.bench_app() as app:
        db = app.state.db
        print(f"custom fields: tenant with {customers:,} customers in {common.BENCH_DB}", flush=True)
        built = await common.ensure_search_tenant(app, customers)
        schema = built["tenant"].schema_name
        admin = await actor_of(app, schema, ADMIN)
        async with db.tenant_session(schema) as session:
            await _define_fields(session, admin)
        fill_seconds = await _fill_values(schema)
        print(f"  values written in {fill_seconds:.1f} s", flush=True)

        variants = {
            "plain": CustomerFilter(),
            "builtin": CustomerFilter(status="interested", tier="gold"),
            "custom": CustomerFilter(custom=(("channel", "eq", "jd"), ("rooms", "gte", 4))),
        }
        searches = SEARCHES

        async def call(filters: CustomerFilter) -> tuple[float, Any]:
            async with db.tenant_session(schema) as session:
                started = time.perf_counter()
                page = await service.list_customers(session, admin, filters, first=20)
                return time.perf_counter() - started, page

        matches: dict[str, Any] = {}
        for name, filters in variants.items():  # warm-up
            for _ in range(5):
                _, page = await call(filters)
            matches[name] = {"total": page.total, "capped": page.total_capped, "page": len(page.items)}
        for q in searches:
            _, page = await call(CustomerFilter(search=q))
            matches[f"search:{q}"] = {"total": page.total, "capped": page.total_capped}

        timings: dict[str, list[float]] = {"plain": [], "builtin": [], "custom": [], "search": []}
        rng = random.Random(7)
        for i in range(n_queries):
            steps = [*variants.items(), ("search", CustomerFilter(search=searches[i % len(searches)]))]
            rng.shuffle(steps)
            for name, filters in steps:
                seconds, _ = await call(filters)
                timings[name].append(seconds)

        raw = await raw_connection()
        plan = await raw.fetch(
            "EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) SELECT count(*) FROM ("
            f'SELECT id FROM "{schema}".customers WHERE deleted_at IS NULL '
            "AND custom @> '{\"channel\": \"jd\"}' AND CASE WHEN jsonb_typeof(custom->'rooms') = 'number' "
            "THEN (custom->>'rooms')::numeric END >= 4 LIMIT 10001) s"
        )
        await raw.close()
        ms = {name: summary(values, 1000) for name, values in timings.items()}
        result = {
            "postgres": await common.postgres_version(),
            "customers": customers,
            "custom_fields": [
                "channel (single_select)",
                "rooms (integer)",
                "deliver_on (date)",
                "estate (text, searchable)",
                "old_for_new (boolean)",
            ],
            "values_written_seconds": round(fill_seconds, 1),
            "queries_per_variant": n_queries,
            "matches": matches,
            "ms": ms,
            "ratio_p50_custom_to_plain": round(ms["custom"]["p50"] / ms["plain"]["p50"], 2),
            "ratio_p95_custom_to_plain": round(ms["custom"]["p95"] / ms["plain"]["p95"], 2),
            "ratio_p50_custom_to_builtin": round(ms["custom"]["p50"] / ms["builtin"]["p50"], 2),
            "ratio_p95_custom_to_builtin": round(ms["custom"]["p95"] / ms["builtin"]["p95"], 2),
            "count_plan": [r[0] for r in plan],
        }
        result["target"] = {
            "ratio_custom_to_builtin_below": TARGET_RATIO,
            "met": result["ratio_p95_custom_to_builtin"] < TARGET_RATIO,
        }
    if not keep:
        await common.drop_bench_database()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the dcrm_bench_cf database")
    args = parser.parse_args()
    result = asyncio.run(run(args.customers, args.queries, args.keep))
    path = write_result("custom_fields", result)
    for name, values in result["ms"].items():
        print(f"  {name:8} p50 {values['p50']:7.2f} ms   p95 {values['p95']:7.2f} ms")
    print(
        "  ratio custom/builtin (the same rows on built-in columns)"
        f" p50 {result['ratio_p50_custom_to_builtin']} p95 {result['ratio_p95_custom_to_builtin']};"
        f" custom/plain p95 {result['ratio_p95_custom_to_plain']}"
    )
    print(f"  written to {path}")


if __name__ == "__main__":
    main()
