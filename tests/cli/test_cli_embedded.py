"""The command line on a laptop without configured servers: it starts the embedded PostgreSQL under
the checkout's data folder and leaves nothing running when it is done.

Run from another folder it finds the same data (not a new empty database in that folder), and a
failure is one line, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("dealercrm")


def _postgres_serving(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in (process.info["name"] or "") and str(pgdata) in cmdline:
            found.append(process)
    return found


def test_the_data_folder_is_the_checkouts_whatever_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.delenv("FILES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == REPO / ".data"
    assert settings.files_dir == REPO / ".data" / "files"
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().data_dir == tmp_path / "elsewhere"


def test_a_cli_call_stops_the_embedded_postgresql_it_started(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DATA_DIR"] = str(tmp_path / "data")
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "app.cli"]
    result = subprocess.run(
        [*command, "tenant", "list"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    # A brand-new database has no tables: one line saying what to do, no traceback.
    assert result.returncode == 1
    assert "run `dealercrm migrate` first" in result.stderr
    assert "Traceback" not in result.stderr
    assert "XDG_RUNTIME_DIR" not in result.stderr
    assert (tmp_path / "data" / "pg" / "PG_VERSION").exists(), "the embedded server was not started"
    assert _postgres_serving(tmp_path / "data" / "pg") == []
