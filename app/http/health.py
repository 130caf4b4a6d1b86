"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from tenancy.resolution import resolve_host


@get("/healthz", operation_id="Healthz", media_type=MediaType.JSON, include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", operation_id="Readyz", include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Ready when PostgreSQL answers; Redis is reported but does not decide.

    Redis holds limits, jobs and caches, never the only way to serve a read (docs/security.md,
    "Redis outage"). A pod whose Redis is down still serves, so it stays in the Service: a 503 here
    would take every pod out at once, turning a Redis outage into a full outage.
    """
    state = request.app.state
    checks: dict[str, str] = {}

    async def check_db() -> None:
        async with state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_redis() -> None:
        await state.redis.ping()

    for name, check, failed in (("postgres", check_db, "error"), ("redis", check_redis, "degraded")):
        try:
            await asyncio.wait_for(check(), timeout=2)
            checks[name] = "ok"
        except Exception as exc:  # any failure: say which and why (the type, never a message with data)
            checks[name] = f"{failed}: {type(exc).__name__}"
    ready = checks["postgres"] == "ok"
    status = "unavailable" if not ready else "ok" if checks["redis"] == "ok" else "degraded"
    return Response({"status": status, "checks": checks}, status_code=200 if ready else 503)


def metrics_allowed(request: Request[Any, Any, Any]) -> bool:
    """Metrics are for the platform's Prometheus only: never on a dealer's host, and only from the
    ``METRICS_IP_ALLOWLIST`` networks or with ``Authorization: Bearer <METRICS_TOKEN>``."""
    settings = request.app.state.settings
    if resolve_host(request.headers.get("host"), settings.base_domain).slug is not None:
        return False
    authorization = request.headers.get("authorization", "")
    if settings.metrics_token and authorization.lower().startswith("bearer "):
        return hmac.compare_digest(authorization[7:].strip().encode(), settings.metrics_token.encode())
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    for block in settings.metrics_ip_allowlist:
        try:
            if address in ipaddress.ip_network(block, strict=False):
                return True
        except ValueError:
            continue
    return False


@get("/metrics", operation_id="Metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus metrics, for the platform's scraper only (404 to everyone else)."""
    if not metrics_allowed(request):
        raise NotFoundException()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


health_routes = [healthz, readyz, metrics]
