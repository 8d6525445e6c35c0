"""Saving a topology respects the file (#17): mode, owner, symlinks, hard links, stale
temporary files, error messages that name the user's file, the folder fsynced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from console.models import Topology
from console.models import topofile as tf


def saved(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_a_save_keeps_the_mode_of_the_file(tmp_path):
    path = tmp_path / "fabric.yaml"
    tf.save(Topology(name="first"), path)
    os.chmod(path, 0o664)
    tf.save(Topology(name="second"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    assert "name: second" in saved(path)


def test_a_new_file_gets_the_mode_a_plain_open_gives(tmp_path):
    old = os.umask(0o022)
    try:
        tf.save(Topology(name="new"), tmp_path / "new.yaml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_save_keeps_the_owner_of_the_file(tmp_path):
    path = tmp_path / "fabric.yaml"
    tf.save(Topology(name="first"), path)
    os.chown(path, 12345, 23456)
    tf.save(Topology(name="second"), path)
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (12345, 23456)
    assert "name: second" in saved(path)


def test_a_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "store" / "fabric.yaml"
    real.parent.mkdir()
    tf.save(Topology(name="first"), real)
    link = tmp_path / "fabric.yaml"
    link.symlink_to(real)
    tf.save(Topology(name="second"), link)
    assert link.is_symlink() and link.resolve() == real
    assert "name: second" in saved(real)
    assert "name: first" in saved(real.with_name("fabric.yaml.bak"))  # beside the target
    assert not (tmp_path / "fabric.yaml.bak").exists()


def test_a_save_keeps_hard_links_together(tmp_path):
    path = tmp_path / "fabric.yaml"
    tf.save(Topology(name="first"), path)
    other = tmp_path / "other-name.yaml"
    os.link(path, other)
    tf.save(Topology(name="second"), path)
    assert path.stat().st_ino == other.stat().st_ino
    assert "name: second" in saved(other)
    assert "name: first" in saved(tmp_path / "fabric.yaml.bak")


def test_stale_temporary_files_of_this_file_are_removed_fresh_ones_kept(tmp_path):
    path = tmp_path / "fabric.yaml"
    stale = tmp_path / ".fabric.yaml.abcd1234.tmp"
    stale_bak = tmp_path / ".fabric.yaml.abcd1234.tmp.bak"
    fresh = tmp_path / ".fabric.yaml.efgh5678.tmp"  # another save may be writing it now
    others = tmp_path / ".other.yaml.abcd1234.tmp"  # another file's
    for leftover in (stale, stale_bak, fresh, others):
        leftover.write_text("half a file")
    old = os.stat(stale).st_mtime - tf.STALE_TEMP_S - 60
    for leftover in (stale, stale_bak, others):
        os.utime(leftover, (old, old))
    tf.save(Topology(name="kept"), path)
    assert not stale.exists() and not stale_bak.exists()
    assert fresh.exists() and others.exists()


def test_an_error_names_the_users_file_not_the_temporary_one(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "fabric.yaml"
    tf.save(Topology(name="first"), path)
    os.chmod(folder, 0o555)
    try:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        with pytest.raises(OSError) as caught:
            tf.save(Topology(name="second"), path)
    finally:
        os.chmod(folder, 0o755)
    assert caught.value.filename == str(path)
    assert ".tmp" not in str(caught.value)


def test_an_error_in_a_missing_folder_names_the_users_file(tmp_path):
    path = tmp_path / "no-such-folder" / "fabric.yaml"
    with pytest.raises(FileNotFoundError) as caught:
        tf.save(Topology(name="x"), path)
    assert caught.value.filename == str(path)
    assert str(caught.value) == f"[Errno 2] No such file or directory: '{path}'"


@pytest.mark.parametrize("bad", ["", Path(""), ".", "somewhere/.."])
def test_a_path_that_names_no_file_is_a_clear_error(bad):
    with pytest.raises(ValueError) as caught:
        tf.save(Topology(name="x"), bad)
    assert str(caught.value) == f"cannot save to {str(bad)!r}: give a file name"


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    tf.save(Topology(name="x"), tmp_path / "fabric.yaml")
    assert synced == ["file", "folder"]


def test_a_folder_in_the_way_is_an_error_naming_the_users_file(tmp_path):
    path = tmp_path / "fabric.yaml"
    path.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        tf.save(Topology(name="x"), path)
    assert caught.value.filename == str(path)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
