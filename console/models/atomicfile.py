"""Writing a file atomically: a temporary file in the same folder, fsync, rename over the
target, the previous version kept as PATH.bak, the user's symlinks, hard links, mode and
owner kept (topofile.save and the editors' Save write through it)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

STALE_TEMP_S = 600
"""A temporary file of this file's saves older than this is left from an interrupted save
(a save takes seconds) and is removed by the next save; a younger one may belong to a save
still running in another process, and is left alone."""


def write_atomic(text: str, path: str | os.PathLike[str]) -> None:
    """save()'s writing: `text` replaces the file at `path` atomically, keeping PATH.bak.

    The file keeps what makes it the user's file:
    - a symlink is followed: its target is written (and backed up), the link stays;
    - the mode is kept (a new file gets the mode a plain open() would give it), and the
      owner and group when this process may set them;
    - a file with other hard links, or whose owner this process cannot give back to it, is
      rewritten in place once the new text is safely on disk in the temporary file and the
      old one in PATH.bak: renaming over it would detach the other names (they would keep
      the old text) or change its owner. That write is not atomic; PATH.bak holds the
      previous version if it is interrupted.
    Temporary files that interrupted saves of this file left behind are removed. Errors
    are OSError naming `path` (the user's file, never the temporary one), or ValueError
    for a path that names no file.
    """
    if not str(path) or Path(path).name in ("", ".", ".."):
        raise ValueError(f"cannot save to {str(path)!r}: give a file name")
    user = os.fspath(path)
    try:
        _write_atomic(text, Path(os.path.realpath(user)))
    except OSError as exc:
        if exc.filename == user and exc.filename2 is None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), user) from exc


def _write_atomic(text: str, target: Path) -> None:
    folder = target.parent
    _remove_stale_temps(folder, target.name)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    in_place = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if old is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))
                in_place = old.st_nlink > 1 or not _keep_owner(fh.fileno(), old)
            else:
                mask = os.umask(0)
                os.umask(mask)
                os.fchmod(fh.fileno(), 0o666 & ~mask)  # mkstemp makes the file private
            os.fsync(fh.fileno())
        if old is not None:
            # Copy, not move: the target must exist at every instant for other readers.
            backup = target.with_name(target.name + ".bak")
            shutil.copy2(target, tmp + ".bak")
            os.replace(tmp + ".bak", backup)
        if in_place:
            with open(target, "r+b") as fh:
                data = text.encode("utf-8")
                fh.write(data)
                fh.truncate(len(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
        _fsync_dir(folder)  # a power cut after the rename must not lose the new name
    except BaseException:
        for leftover in (tmp, tmp + ".bak"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        raise


def _keep_owner(fd: int, old: os.stat_result) -> bool:
    """Give the temporary file the target's owner and group; False when not allowed (the
    caller then keeps the target's inode, and with it its owner)."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (old.st_uid, old.st_gid):
        return True
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        return False
    return True


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Remove temporary files (`.NAME.XXXXXXXX.tmp`, and their `.bak` copies) that earlier,
    interrupted saves of this file left in its folder, once they are STALE_TEMP_S old."""
    now = time.time()
    pattern = re.compile(re.escape(f".{name}.") + r"[A-Za-z0-9_]{8}\.tmp(\.bak)?")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # mkstemp will say what is wrong with the folder
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) \
                    and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_S:
                os.unlink(entry.path)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some file systems do not open folders; the rename itself is done
    try:
        with contextlib.suppress(OSError):  # and some do not fsync them
            os.fsync(fd)
    finally:
        os.close(fd)
