"""Every run gets a throwaway PostgreSQL database and its own Redis database; nothing is mocked.

With DATABASE_URL / REDIS_URL set (CI, this machine) those servers are used; without them the
embedded servers start under ./.data/, as in development.

In parallel (pytest-xdist, ``-n 2``: what ``sh infra/dev.sh test`` runs) each worker is a run of its
own: its own throwaway database and its own claimed Redis database. The controller process runs no
test; it only starts the embedded servers (when no URL is set) and hands their URLs to the workers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from itertools import count
from typing import Any

import asyncpg
import pytest
from crm_testkit import TenantKit, make_tenant
from litestar import Litestar
from sentry_capture import sentry  # noqa: F401  (the fixture, for every test)
from tenant_reuse import reusing

_RUN = secrets.token_hex(4)
_BASE_DB_URL: str | None = None
_TEST_DB = f"dcrm_test_{_RUN}"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    head, sep, query = url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + (sep + query if sep else "")


async def _admin(url: str, sql: str) -> None:
    head, _, query = _plain(url).partition("?")
    host = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("host")
    conn = await asyncpg.connect(head, host=host) if host else await asyncpg.connect(head)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_claimed_redis: list[tuple[str, str]] = []


def _redis_database_url(url: str, db: int) -> str:
    if url.startswith("unix://"):
        return url.split("?", 1)[0] + f"?db={db}"
    head = url.split("?", 1)[0]
    return (head.rsplit("/", 1)[0] if head.count("/") > 2 else head) + f"/{db}"


def _claim_redis_database(url: str) -> str:
    """A Redis database (1-15) no other concurrent test run holds, claimed with SET NX in db 0."""
    import redis

    client = redis.Redis.from_url(_redis_database_url(url, 0))
    for db in range(1, 16):
        key = f"dcrm:test-run:{db}"
        if client.set(key, _RUN, nx=True, ex=3 * 3600):
            _claimed_redis.append((_redis_database_url(url, 0), key))
            return _redis_database_url(url, db)
    raise RuntimeError(
        "all 15 Redis test databases are claimed by other runs or workers (keys dcrm:test-run:* in db 0;"
        " each xdist worker claims one): run with fewer workers (-n) or wait for the other runs"
    )


def _is_xdist_controller(config: pytest.Config) -> bool:
    """The process that hands tests to xdist workers and runs none itself."""
    return not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"


def pytest_configure(config: pytest.Config) -> None:
    global _BASE_DB_URL
    from app.runtime import export_service_urls, resolve_service_urls
    from app.settings import Settings, get_settings

    urls = resolve_service_urls(Settings())
    if _is_xdist_controller(config):
        # The workers start after this and inherit the environment: they share the servers this
        # process may just have started (embedded mode), each with its own database.
        export_service_urls(urls)
        return
    _BASE_DB_URL = urls.database_url
    asyncio.run(_admin(_BASE_DB_URL, f'CREATE DATABASE "{_TEST_DB}"'))
    redis_url = _claim_redis_database(urls.redis_url)
    os.environ.update(
        DATABASE_URL=_with_database(_BASE_DB_URL, _TEST_DB),
        REDIS_URL=redis_url,
        BASE_DOMAIN="localhost",
        SECURE_COOKIES="1",
        FILES_DIR=tempfile.mkdtemp(prefix="dcrm-files-"),
        BACKUP_DIR=tempfile.mkdtemp(prefix="dcrm-backups-"),
        BACKUP_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        SENTRY_DSN="",
        # Cheap argon2 (1 pass, 1 MiB): the suite signs up thousands of tenants and logs in as often.
        # tests/security/test_security_headers.py pins that production refuses it.
        PASSWORD_HASH_COST="test",
        # Every test signs up from 127.0.0.1; tests/security/test_signup_abuse.py pins the limit.
        SIGNUP_PER_IP_PER_HOUR="100000",
        SIGNUP_PER_EMAIL_PER_DAY="100000",
    )
    get_settings.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    import redis

    for url, key in _claimed_redis:
        client = redis.Redis.from_url(url)
        if client.get(key) == _RUN.encode():
            client.delete(key)
    if _BASE_DB_URL:
        try:
            asyncio.run(_admin(_BASE_DB_URL, f'DROP DATABASE IF EXISTS "{_TEST_DB}" WITH (FORCE)'))
        except Exception as exc:  # leave a note rather than hide the test result
            print(f"could not drop {_TEST_DB}: {exc}")


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[Litestar]:
    """The web app with its lifespan running (one engine, on the tests' event loop)."""
    from app.factory import services
    from app.settings import get_settings
    from tenancy.migrate import upgrade_platform
    from web.main import create_web_app

    application = create_web_app()
    # The app's own services, entered directly: Litestar's lifespan() holds an anyio cancel scope
    # that must exit in the task that entered it, which a session fixture cannot promise.
    async with services(get_settings()) as found:
        for key, value in found.items():
            application.state[key] = value
        await application.state.redis.flushdb()
        await upgrade_platform(application.state.db.engine)
        yield application


_slugs = count(1)


# Tenants the last tests are done with, (slug, schema): the next ``tenant`` or ``other_tenant`` takes
# one over instead of creating a schema (tests/tenant_reuse.py: about half the suite's time).
_done: list[tuple[str, str]] = []


async def _fresh_tenant(app: Litestar, prefix: str) -> AsyncIterator[TenantKit]:
    async with reusing(_done.pop() if _done else None):
        kit = await make_tenant(app, f"{prefix}{_RUN[:4]}-{next(_slugs)}")
    yield kit
    _done.append((kit.slug, kit.schema))


@pytest.fixture
async def tenant(app: Litestar) -> AsyncIterator[TenantKit]:
    """A new tenant with the whole cast (see crm_testkit), made as sign-up makes one."""
    async for kit in _fresh_tenant(app, "t"):
        yield kit


@pytest.fixture
async def other_tenant(app: Litestar) -> AsyncIterator[TenantKit]:
    async for kit in _fresh_tenant(app, "o"):
        yield kit


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while Playwright's sync API is open, its event loop occupies the main
    thread that the async tests need (tests/e2e's chromium fixture closes it after each module)."""
    browser_tests = [item for item in items if "tests/e2e/" in str(item.fspath)]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
        items.remove(item)
    items.extend(browser_tests)


def _work_unit(nodeid: str) -> str:
    """What one xdist worker runs as a whole: a test file, and all browser tests together."""
    path = nodeid.split("::", 1)[0]
    return "tests/e2e/" if path.startswith("tests/e2e/") else path


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Parallel runs hand out whole files, in collection order, and the browser tests as one unit.

    Whole files: a module-scoped fixture (a seeded tenant, a throwaway cluster) is set up once, not on
    every worker. In collection order: the browser tests are last (above), so the worker that gets
    them runs no async test after them, and one live server and one Chromium serve them all.
    (xdist's own ``--dist loadgroup`` cannot be used: it renames node ids, which pytest 9.2 ignores.)
    """
    if config.getoption("dist") not in ("load", "loadfile", "loadgroup", "loadscope"):
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesThenBrowser(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return FilesThenBrowser(config, log)
