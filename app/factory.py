"""The Litestar application: lifespan (database, Redis, arq), middleware, dependencies, routes.

``web.main`` calls ``create_app`` with the admin's controllers and templates; the GraphQL endpoint
and health routes are always included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis

from app.db import Database
from app.http.auth import provide_actor, provide_db_session, provide_optional_actor
from app.http.errors import EXCEPTION_HANDLERS
from app.http.health import health_routes
from app.http.middleware import CsrfMiddleware, LocaleMiddleware, RequestIdMiddleware, TenancyMiddleware
from app.i18n import load_catalogs
from app.observability import configure_logging, init_sentry
from app.runtime import resolve_service_urls
from app.settings import Settings, get_settings

QUEUE_NAME = "arq:dealercrm"


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """Database, Redis and the arq pool for one process, closed on the way out."""
    urls = resolve_service_urls(settings)
    db = Database(urls.database_url, settings.db_pool_size, settings.db_statement_cache_size)
    redis = Redis.from_url(urls.redis_url)
    arq = await create_pool(RedisSettings.from_dsn(urls.redis_url), default_queue_name=QUEUE_NAME)
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
        template_config = TemplateConfig(directory=template_dir, engine=JinjaTemplateEngine, engine_callback=template_setup)

    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State({"settings": settings}),
        dependencies={
            "db_session": Provide(provide_db_session),
            "actor_or_none": Provide(provide_optional_actor),
            "actor": Provide(provide_actor),
        },
        middleware=[
            DefineMiddleware(RequestIdMiddleware),
            DefineMiddleware(LocaleMiddleware),
            DefineMiddleware(TenancyMiddleware),
            DefineMiddleware(CsrfMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=template_config,
        openapi_config=None,
        logging_config=None,
        debug=False,
    )
