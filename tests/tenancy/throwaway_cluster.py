"""A PostgreSQL cluster of the test's own, started with server settings a test needs.

Some settings (``max_locks_per_transaction``, ``max_connections``) are fixed when the server
starts and cannot be set per session, and the shared server must not be restarted; so a test that
needs them runs ``initdb`` and ``pg_ctl`` (found like the backup tools: ``PG_BIN_DIR``, the
distribution's versioned folders, the pgserver wheel) on a temporary folder and port, with
durability off (nothing here must survive), and removes it afterwards. PostgreSQL refuses to run
as root; as root the cluster runs as the ``postgres`` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FAST_AND_THROWAWAY = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _programs() -> tuple[Path, Path]:
    from app.backups.pgtools import PgToolMissing, pg_tool

    try:
        return pg_tool("initdb"), pg_tool("pg_ctl")
    except PgToolMissing as exc:
        pytest.skip(f"no initdb/pg_ctl to start a throwaway PostgreSQL: {exc}")


@contextmanager
def throwaway_cluster(**settings: str) -> Iterator[str]:
    """A running cluster with ``settings`` (postgresql.conf names); yields its ``postgresql://`` URL."""
    initdb, pg_ctl = _programs()
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres system user to run a cluster as")
    folder = Path(tempfile.mkdtemp(prefix="dcrm-cluster-"))
    data, log = folder / "data", folder / "server.log"
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    run_as = {"user": user.pw_uid, "group": user.pw_gid} if user is not None else {}
    port = _free_port()
    options = {
        "port": str(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(folder),
        **FAST_AND_THROWAWAY,
        **settings,
    }
    try:
        subprocess.run(
            [
                str(initdb),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **run_as,
        )
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in options.items())
        started = subprocess.run(
            [str(pg_ctl), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"],
            capture_output=True,
            timeout=90,
            **run_as,
        )
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr!r} {log.read_text()[-2000:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                **run_as,
            )
        shutil.rmtree(folder, ignore_errors=True)
