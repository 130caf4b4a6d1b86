"""Per-tenant file storage (exports now; attachments, photos and backups later): safe paths, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.storage import TenantFiles, UnsafePath


def test_names_cannot_leave_the_tenants_folder(tmp_path: Path) -> None:
    files = TenantFiles(tmp_path, "t_acme", "exports")
    assert files.path("report.csv") == tmp_path / "t_acme" / "exports" / "report.csv"
    for bad in ("../t_other/exports/x.csv", "..", ".", "", "a/b.csv", "a\\b.csv", ".hidden", "x\x00.csv"):
        with pytest.raises(UnsafePath):
            files.path(bad)
    for schema, area in (("../etc", "exports"), ("t_acme", ".."), ("t_acme", "a/b"), ("T-Acme", "exports")):
        with pytest.raises(UnsafePath):
            TenantFiles(tmp_path, schema, area)


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    files = TenantFiles(tmp_path / "root", "t_acme", "exports")
    files.folder.mkdir(parents=True)
    (files.folder / "escape.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(UnsafePath):
        files.path("escape.csv")


def test_a_write_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    files = TenantFiles(tmp_path, "t_acme", "exports")
    with files.write_atomic("list.csv") as out:
        out.write(b"first half,")
        # Mid-write, readers see no file under the real name, only a hidden partial one.
        assert not files.exists("list.csv")
        assert [p.name.startswith(".list.csv.") for p in files.folder.iterdir()] == [True]
        out.write(b"second half")
    with files.open("list.csv") as fh:
        assert fh.read() == b"first half,second half"

    with pytest.raises(RuntimeError), files.write_atomic("list.csv") as out:
        out.write(b"broken")
        raise RuntimeError("disk trouble")
    # The failed rewrite left the previous file untouched and no partial behind.
    assert files.path("list.csv").read_bytes() == b"first half,second half"
    assert [p.name for p in files.folder.iterdir()] == ["list.csv"]


def test_partials_of_a_killed_writer_are_discarded(tmp_path: Path) -> None:
    files = TenantFiles(tmp_path, "t_acme", "exports")
    files.folder.mkdir(parents=True)
    (files.folder / ".list.csv.abc123.part").write_bytes(b"half")
    (files.folder / ".other.csv.abc123.part").write_bytes(b"someone else's")
    assert files.discard_partials("list.csv") == 1
    assert sorted(p.name for p in files.folder.iterdir()) == [".other.csv.abc123.part"]
    with pytest.raises(FileNotFoundError):
        files.open("list.csv")
