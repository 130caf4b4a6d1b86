"""Login throttle: how many password attempts one address gets against one account, per minute.

One attacker address sends wrong passwords for one staff account to ``/login`` as fast as the app
answers, for ``--seconds`` (default 20; the throttle counts in fixed 60-second windows, so 65 covers
a whole window and a boundary). Each answer is counted as allowed (the password was checked: 401) or
refused by the throttle (429), per throttle window. The target is at most 10 allowed per window.

    .venv/bin/python bench/login_throttle.py [--seconds 20]

Runs in-process (httpx over ASGI, nothing on the network) against the bench database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_app, signed_up_tenant, write_result  # noqa: E402

SLUG = "bench-login"
OWNER = "owner@bench-login.example"
MAX_REQUESTS = 20_000  # a bound on the loop whatever the duration
QUIET_BEFORE_BOUNDARY = 2.0  # seconds
OUTCOMES = {401: "allowed", 429: "refused"}  # allowed: the password was checked (and wrong)


async def run(seconds: float) -> dict[str, Any]:
    async with bench_app() as app:
        await signed_up_tenant(app, SLUG, "登录限流（基准测试）", OWNER, password="bench-pass-9")
        window = 60
        # A fresh loopback address each run, so an earlier run's counts do not carry over.
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
        entered: list[int] = []

        async def timed(scope: Any, receive: Any, send: Any) -> None:
            # The window a request entered the app in: the one the throttle counts it in (the
            # throttle runs first thing; the answer can come after the boundary, argon2 takes a while).
            entered.append(int(time.time()) // window)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=timed, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{SLUG}.localhost") as client:
            await client.get("/login")
            csrf = client.cookies.get("dcrm_csrf") or ""
            per_window: dict[int, Counter[str]] = {}
            started = time.monotonic()
            sent = 0
            while time.monotonic() - started < seconds and sent < MAX_REQUESTS:
                # Nothing is sent in the last seconds of a window, so every attempt is counted in the
                # window it entered in (a loaded server can take a moment to reach the throttle);
                # the limit is met in a window's first seconds, so the attacker loses nothing.
                to_boundary = window - time.time() % window
                if to_boundary < QUIET_BEFORE_BOUNDARY:
                    await asyncio.sleep(to_boundary + 0.05)
                    continue
                response = await client.post(
                    "/login", data={"email": OWNER, "password": f"guess-{sent}", "_csrf": csrf}
                )
                sent += 1
                outcome = {401: "allowed", 429: "refused"}.get(
                    response.status_code, str(response.status_code)
                )
                per_window.setdefault(entered[-1], Counter())[outcome] += 1
            elapsed = time.monotonic() - started
    windows = [dict(counts) for _, counts in sorted(per_window.items())]
    allowed = sum(c.get("allowed", 0) for c in windows)
    refused = sum(c.get("refused", 0) for c in windows)
    return {
        "seconds": round(elapsed, 1),
        "attempts": sent,
        "allowed": allowed,
        "refused": refused,
        "per_window": windows,
        "max_allowed_in_a_window": max((c.get("allowed", 0) for c in windows), default=0),
        "target_per_minute": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds))
    print(
        f"{result['attempts']} attempts in {result['seconds']} s from one address against one account: "
        f"{result['allowed']} allowed (password checked), {result['refused']} refused (429)"
    )
    for i, counts in enumerate(result["per_window"]):
        print(f"  throttle window {i + 1}: {counts}")
    print(f"max allowed in one 60 s window: {result['max_allowed_in_a_window']} (target <= 10)")
    print(f"written to {write_result('login_throttle', result)}")


if __name__ == "__main__":
    main()
