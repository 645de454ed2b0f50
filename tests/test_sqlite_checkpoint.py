"""SQLite's write-ahead log is copied back into the database by a thread, not inside a commit.

config/sqlite3: each process runs one ``sqlite-checkpoint`` thread per database file, and every
connection keeps SQLite's automatic checkpoint only as a backstop. These tests use a database of
their own (whatever database the suite runs on), through the project's backend.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.utils import ConnectionHandler

from config.sqlite3 import base as backend


def _connection(path: Path) -> Any:
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "config.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
            }
        }
    )
    return handler["default"]


def test_the_log_is_copied_back_by_the_thread_not_by_the_commit(
    tmp_path: Path, monkeypatch: Any, django_db_blocker: Any
) -> None:
    done: list[tuple[int, int, int]] = []
    original = backend.checkpoint_once

    def recording(connection: Any) -> tuple[int, int, int]:
        result = original(connection)
        done.append(result)
        return result

    monkeypatch.setattr(backend, "checkpoint_once", recording)
    connection = _connection(tmp_path / "db.sqlite3")
    with django_db_blocker.unblock():
        _write_and_wait(connection, tmp_path, done)


def _write_and_wait(connection: Any, tmp_path: Path, done: list[tuple[int, int, int]]) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == settings.SQLITE_CHECKPOINT_BACKSTOP  # only a backstop
            cursor.execute("CREATE TABLE notice (id INTEGER PRIMARY KEY, text TEXT)")
            for n in range(50):  # fifty commits
                cursor.execute("INSERT INTO notice (text) VALUES (%s)", ["ประกาศ " * 100 + str(n)])
        assert (tmp_path / "db.sqlite3-wal").stat().st_size > 0  # the commits went to the log
        deadline = time.monotonic() + 20
        while not (done and done[-1][1] > 0 and done[-1][1] == done[-1][2]) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy, frames, copied = done[-1]
        assert (busy, copied) == (0, frames) and frames > 0  # every frame of the log copied back
        thread = next(t for t in threading.enumerate() if t.name == "sqlite-checkpoint")
        assert getattr(thread, "fork_safe", False)  # verify_audit's workers may still fork
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM notice")
            assert cursor.fetchone()[0] == 50
    finally:
        connection.close()


def test_a_forked_child_can_checkpoint_too(tmp_path: Path, django_db_blocker: Any) -> None:
    """The fork waits for the thread to leave SQLite; the child starts with its lock free."""
    connection = _connection(tmp_path / "db.sqlite3")
    try:
        with django_db_blocker.unblock():
            connection.ensure_connection()
        assert any(t.name == "sqlite-checkpoint" for t in threading.enumerate())
        pid = os.fork()
        if pid == 0:  # the child: its copy of the lock must be free
            os._exit(0 if backend._fork_lock.acquire(timeout=2) else 1)
        _pid, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        connection.close()
