"""The Litestar application: lifespan (database, Redis, arq), middleware, dependencies, routes.

``web.main`` calls ``create_app`` with the admin's controllers and templates; the GraphQL endpoint
and health routes are always included.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.db import Database
from app.http.auth import provide_actor, provide_db_session, provide_optional_actor
from app.http.errors import EXCEPTION_HANDLERS
from app.http.health import health_routes
from app.http.middleware import (
    CsrfMiddleware,
    LocaleMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    TenancyMiddleware,
    TextInputMiddleware,
)
from app.i18n import load_catalogs
from app.observability import configure_logging, init_sentry
from app.privacy.keys import refuse_missing_master_key
from app.runtime import QUEUE_NAME, resolve_service_urls
from app.settings import Settings, get_settings, refuse_unsafe_production

REDIS_CONNECT_TIMEOUT = 2.0
REDIS_COMMAND_TIMEOUT = 5.0

log = logging.getLogger("dealercrm.startup")


async def connect_arq(redis_url: str, settings: Settings) -> ArqRedis:
    """The arq pool, waiting for Redis a bounded while; then, without it, a pool that connects on use.

    Redis holds limits, jobs and caches, never the only way to serve a read: a process that cannot
    reach it at start-up retries ``REDIS_STARTUP_ATTEMPTS`` times (a log line each) and then starts
    degraded instead of crashing (a pod stuck in a crash loop serves nothing). Redis-backed features
    (rate limits and the API quota fail open, enqueues fail) recover by themselves when it is back.
    """
    redis_settings = RedisSettings.from_dsn(redis_url)
    redis_settings.conn_retries = max(settings.redis_startup_attempts - 1, 0)
    redis_settings.conn_retry_delay = settings.redis_startup_delay_seconds  # type: ignore[assignment]
    try:
        return await create_pool(redis_settings, default_queue_name=QUEUE_NAME)
    except (RedisError, OSError, TimeoutError) as exc:
        log.error(
            "Redis unreachable after %d attempts (%s): starting without it; rate limits and quotas "
            "fail open, background jobs wait until it is back",
            settings.redis_startup_attempts,
            type(exc).__name__,
        )
    pool = ArqRedis.from_url(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT)
    pool.default_queue_name = QUEUE_NAME
    return pool


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """Database, Redis and the arq pool for one process, closed on the way out."""
    urls = resolve_service_urls(settings)
    db = Database(urls.database_url, settings.db_pool_size, settings.db_statement_cache_size)
    # Timeouts, so an unreachable Redis costs a request at most a few seconds instead of hanging it.
    redis = Redis.from_url(
        urls.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_COMMAND_TIMEOUT
    )
    arq = await connect_arq(urls.redis_url, settings)
    try:
        yield {"db": db, "redis": redis, "arq": arq, "urls": urls}
    finally:
        await arq.aclose()
        await redis.aclose()
        await db.dispose()


def create_app(
    *,
    settings: Settings | None = None,
    route_handlers: Sequence[Any] = (),
    template_dir: Path | None = None,
    static_dir: Path | None = None,
    translations_dir: Path | None = None,
    template_setup: Any = None,
) -> Litestar:
    settings = settings or get_settings()
    refuse_unsafe_production(settings)
    refuse_missing_master_key(settings)
    configure_logging()
    init_sentry(settings.sentry_dsn, settings.environment)
    if translations_dir:
        load_catalogs(translations_dir)

    from app.graphql.endpoint import graphql_controller  # imported late: strawberry builds the schema

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with services(settings) as found:
            for key, value in found.items():
                app.state[key] = value
            yield

    handlers: list[Any] = [*health_routes, graphql_controller, *route_handlers]
    if static_dir:
        handlers.append(create_static_files_router(path="/static", directories=[static_dir], name="static"))
    template_config = None
    if template_dir:
        template_config = TemplateConfig(
            directory=template_dir, engine=JinjaTemplateEngine, engine_callback=template_setup
        )

    return Litestar(
        # request.htmx: what HTMX sent (HX-Request, HX-Target, HX-Trigger ...), parsed by litestar-htmx.
        request_class=HTMXRequest,
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State({"settings": settings}),
        dependencies={
            "db_session": Provide(provide_db_session),
            "actor_or_none": Provide(provide_optional_actor),
            "actor": Provide(provide_actor),
        },
        # Plain ASGI classes (app.http.middleware types scope/receive/send loosely), outermost first.
        middleware=[
            DefineMiddleware(cast(Any, layer))
            for layer in (
                RequestIdMiddleware,
                SecurityHeadersMiddleware,
                LocaleMiddleware,
                TenancyMiddleware,
                TextInputMiddleware,
                CsrfMiddleware,
            )
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=template_config,
        openapi_config=None,
        logging_config=None,
        debug=False,
    )
