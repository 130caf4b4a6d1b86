"""Run every benchmark, each in its own process, then print one summary table from their results.

    .venv/bin/python bench/run_all.py [--quick]

``--quick`` shortens each (10 sign-ups, 100 queries, 3 seconds of load) for a smoke run; the
numbers for the issue note come from a full run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import read_latest

HERE = Path(__file__).parent
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (full arguments, quick arguments)
    "provisioning": ([], ["--count", "10"]),
    "search": ([], ["--queries", "100"]),
    "graphql_list": ([], ["--seconds", "3", "--warmup", "1"]),
}


def summary_rows(results: dict[str, dict[str, Any] | None]) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, verdict) rows from the latest result of each benchmark."""
    rows: list[tuple[str, str, str, str]] = []
    p = results.get("provisioning")
    if p:
        s = p["seconds_per_tenant"]
        rows.append(("sign-up, median s/tenant", f"{s['p50']:.3f}", "< 1 s", _verdict(p["target"]["met"])))
        rows.append(("sign-up, p95 s/tenant", f"{s['p95']:.3f}", "", ""))
    s = results.get("search")
    if s:
        svc, raw, http = s["service_ms"], s["raw_asyncpg_ms"], s["http_graphql_ms"]
        ok_p95 = svc["p95"] < s["target"]["p95_ms_below"]
        ok_ratio = s["ratio_p95_service_to_raw"] < s["target"]["ratio_below"]
        rows.append((f"search {s['customers']:,}: service p50 ms", f"{svc['p50']:.2f}", "", ""))
        rows.append(
            (f"search {s['customers']:,}: service p95 ms", f"{svc['p95']:.2f}", "< 50 ms", _verdict(ok_p95))
        )
        rows.append(("search: raw asyncpg p50 / p95 ms", f"{raw['p50']:.2f} / {raw['p95']:.2f}", "", ""))
        rows.append(
            (
                "search: ratio service/raw p95",
                f"{s['ratio_p95_service_to_raw']:.2f}",
                "< 3",
                _verdict(ok_ratio),
            )
        )
        rows.append(("search: ratio service/raw p50", f"{s['ratio_p50_service_to_raw']:.2f}", "", ""))
        if http:
            rows.append(
                ("search: GraphQL in-process p50 / p95 ms", f"{http['p50']:.2f} / {http['p95']:.2f}", "", "")
            )
    g = results.get("graphql_list")
    if g and "skipped" in g:
        rows.append(("GraphQL list", "skipped", "", g["skipped"]))
    elif g:
        counts = " / ".join(str(n) for n in g["statements_per_request"].values())
        sizes = "/".join(str(n) for n in g["statements_per_request"])
        rows.append(
            (
                f"GraphQL list: SQL per request N={sizes}",
                counts,
                "constant",
                _verdict(not g["grows_with_page_size"]),
            )
        )
        cpu = " / ".join(f"{ms:.1f}" for ms in g["app_cpu_ms_per_request"].values())
        rows.append((f"GraphQL list: app CPU ms/request N={sizes}", cpu, "", ""))
        done = g["load"]
        latency = done["latency_ms"] or {"p50": float("nan"), "p95": float("nan")}
        rows.append(
            (
                f"GraphQL list N=50: requests/s ({done['concurrency']} conn.)",
                f"{done['requests_per_second']}",
                "",
                "",
            )
        )
        rows.append(
            ("GraphQL list N=50: p50 / p95 ms", f"{latency['p50']:.1f} / {latency['p95']:.1f}", "", "")
        )
        if done["errors"]:
            rows.append(("GraphQL list N=50: errors", str(sum(done["errors"].values())), "0", "MISSED"))
    return rows


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in [("measure", "value", "target", ""), *rows]) for i in range(4)]
    header = ("measure", "value", "target", "")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    args = parser.parse_args()
    failed: list[str] = []
    ran: list[str] = []
    for name, (full, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)])
        print(f"({name} took {time.perf_counter() - started:.0f} s)", flush=True)
        (failed if code else ran).append(name)
    print("\n== summary ==")
    print_table(summary_rows({name: read_latest(name) for name in ran}))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
