"""Importing 100,000 customers from XLSX and from CSV: wall time and peak RSS (targets: under 60 s
and under 300 MB each).

    .venv/bin/python bench/imports.py [--rows 100000] [--format csv|xlsx|both]

Builds its own database (``dcrm_bench_import``). The file is what a dealer leaving another CRM
brings: Chinese headers (客户名称, 手机号码, 省份, 城市, 区县, 详细地址, 生日, 标签, 客户来源,
客户级别, 负责人, 备注), unique mobiles, valid divisions, owners named by staff name, tier and
source as Chinese labels. Each format is imported in a child process into a fresh tenant through
the kit's importer (upload: store and count; run: what the arq job does, chunk by chunk), so its
peak RSS is the import's own, not the file generator's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

common.BENCH_DB = "dcrm_bench_import"
HEADERS = [
    "客户名称",
    "手机号码",
    "省份",
    "城市",
    "区县",
    "详细地址",
    "生日",
    "标签",
    "客户来源",
    "客户级别",
    "负责人",
    "备注",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文玉兰辉鹏斌宇浩凯"
PLACES = [
    ("广东省", "深圳市", "南山区"),
    ("广东省", "广州市", "天河区"),
    ("浙江省", "杭州市", "西湖区"),
    ("北京市", "市辖区", "朝阳区"),
]
SOURCES = ["门店到访", "老客户转介绍", "线上", "电话"]
TIERS = ["普通", "银卡", "金卡", "VIP"]
OWNERS = ["张伟", "赵敏", "刘洋"]


def rows(n: int):  # type: ignore[no-untyped-def]
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        yield [
            SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 13) % len(GIVEN)],
            f"139{i:08d}",
            *place,
            f"幸福路{i % 500}号{i % 30}栋",
            f"19{70 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "空调，老客户" if i % 3 == 0 else "冰箱",
            SOURCES[i % len(SOURCES)],
            TIERS[i % len(TIERS)],
            OWNERS[i % len(OWNERS)],
            "需要上门安装" if i % 5 == 0 else "",
        ]


def write_files(n: int, folder: Path) -> dict[str, Path]:
    from openpyxl import Workbook

    paths = {"csv": folder / "customers.csv", "xlsx": folder / "customers.xlsx"}
    with paths["csv"].open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(rows(n))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(HEADERS)
    for row in rows(n):
        sheet.append(row)
    book.save(paths["xlsx"])
    return paths


async def import_one(fmt: str, path: Path, profile: str | None = None) -> dict[str, object]:
    """In a child process: a fresh tenant, then upload and run, timed (``profile``: a cProfile
    file of the upload and the run alone, for finding where the CPU goes)."""
    import uuid

    from app.demo import seed
    from app.demo.generator import STAFF
    from app.kit.imports import run as runs
    from app.kit.imports import service as imports

    async with common.bench_app() as app:
        db = app.state.db
        quiet = common._Echo()
        slug = f"bench-import-{fmt}-{uuid.uuid4().hex[:6]}"
        tenant = await seed.ensure_tenant(db, slug, "导入测试", STAFF[0], echo=quiet)
        await seed.ensure_staff(db, tenant, STAFF, echo=quiet)
        admin = await common.actor_of(app, tenant.schema_name, "admin@demo.example")
        # The app alone (every module imported, engine and Redis up), before the file is touched:
        # the import's own memory is peak_rss_mb minus this.
        app_rss_mb = _rss_mb()
        profiler = cProfile.Profile() if profile else None
        db_cpu_started = await _server_cpu(db)
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler is not None:
            profiler.enable()
        async with db.tenant_session(tenant.schema_name) as session:
            with path.open("rb") as source:
                batch = await imports.upload(
                    session, admin, tenant.schema_name, "customer", path.name, source
                )
            await imports.start(session, admin, batch.id)
        uploaded = time.perf_counter()
        outcome = await runs.run_import(db, tenant.schema_name, batch.id)
        finished = time.perf_counter()
        cpu_s = time.process_time() - cpu_started
        db_cpu = await _server_cpu(db)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        async with db.tenant_session(tenant.schema_name) as session:
            from app.kit.imports import repository

            done = await repository.get(session, batch.id)
            assert done is not None
            counts = {"created": done.created_count, "rejected": done.rejected_count, "rows": done.rows_done}
    return {
        "format": fmt,
        "outcome": outcome,
        "upload_s": round(uploaded - started, 1),
        "run_s": round(finished - uploaded, 1),
        "wall_s": round(finished - started, 1),
        "cpu_s": round(cpu_s, 1),
        # The PostgreSQL server's share (its backends serving this database; None: not readable).
        "db_cpu_s": (
            round(sum(t - db_cpu_started.get(pid, 0.0) for pid, t in db_cpu.items()), 1) if db_cpu else None
        ),
        "app_rss_mb": app_rss_mb,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average": round(os.getloadavg()[0], 1),
        **counts,
    }


async def _server_cpu(db: Any) -> dict[int, float]:
    """CPU seconds (user + system) so far of each server process serving this process's
    connections (matched by client port), read from /proc: only when the server runs on this
    machine (else nothing)."""
    import psutil
    from sqlalchemy import text

    ports = [c.laddr.port for c in psutil.Process().net_connections(kind="tcp") if c.raddr]
    async with db.engine.connect() as conn:
        pids = (
            await conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(:ports)"), {"ports": ports}
            )
        ).scalars()
        return {pid: cpu for pid in pids if (cpu := _process_cpu(pid)) is not None}


def _process_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb() -> int:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx", "both"), default="both")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"))
    parser.add_argument(
        "--profile", metavar="PREFIX", help="write cProfile stats of each import to PREFIX-<format>.prof"
    )
    args = parser.parse_args()
    if args.child:
        profile = f"{args.profile}-{args.child[0]}.prof" if args.profile else None
        print(json.dumps(asyncio.run(import_one(args.child[0], Path(args.child[1]), profile))), flush=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        paths = write_files(args.rows, Path(folder))
        print(
            f"files written in {time.perf_counter() - t0:.1f} s: "
            + ", ".join(f"{k} {p.stat().st_size / 1e6:.1f} MB" for k, p in paths.items()),
            flush=True,
        )
        results = []
        for fmt in ("csv", "xlsx") if args.format == "both" else (args.format,):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    fmt,
                    str(paths[fmt]),
                    *(["--profile", args.profile] if args.profile else []),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
            if out.returncode != 0 or not line.startswith("{"):
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{fmt} import failed")
            result = json.loads(line)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
        common.write_result("imports", {"rows": args.rows, "results": results})


if __name__ == "__main__":
    _ = io
    main()
