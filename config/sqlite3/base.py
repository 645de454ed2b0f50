"""Django's SQLite backend, with placeholders rewritten once per text and the write-ahead log
checkpointed off the request path.

1. Django's SQLite cursor rewrites ``%s`` to ``?`` with a regular expression on every execute;
   the service's statements are a few hundred fixed texts run thousands of times (issue 9
   measured ~0.2 ms of a 3.8 ms transition in that rewriting). The rewritten text is kept in a
   bounded cache keyed by the original.
2. In WAL mode SQLite copies the log back into the database (a *checkpoint*: some 4 MB written
   and synced) inside whichever commit takes the log past 1,000 pages: about one transition in
   60 paid 15–20 ms for it, 0.26 ms per transition on average (docs/benchmarks.md). Here one
   thread per process and database file runs ``PRAGMA wal_checkpoint(PASSIVE)`` every
   ``SQLITE_CHECKPOINT_SECONDS`` when the log has changed: a passive checkpoint waits for no
   lock and blocks no reader or writer, and SQLite releases the GIL while it writes. The
   connections keep an automatic checkpoint at ``SQLITE_CHECKPOINT_BACKSTOP`` pages (40 MB), so
   the log stays bounded where no such thread runs. ``SQLITE_CHECKPOINT_SECONDS=0``: SQLite's
   own automatic checkpoints, every 1,000 pages, as before.

Everything else is Django's backend as it is.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4096)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))  # type: ignore[misc]  # not in the stubs


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        path = _database_file(conn_params.get("database"))
        if path and checkpoint_interval() > 0:
            backstop = int(getattr(settings, "SQLITE_CHECKPOINT_BACKSTOP", 10_000))
            connection.execute(f"PRAGMA wal_autocheckpoint = {backstop:d}")
            _start_checkpointer(path)
        return connection


def checkpoint_interval() -> float:
    return float(getattr(settings, "SQLITE_CHECKPOINT_SECONDS", 0.25))


def _database_file(name: Any) -> str | None:
    """The database's file, or ``None`` for an in-memory database."""
    text = str(name or "")
    if not text or text == ":memory:" or "mode=memory" in text:
        return None
    if text.startswith("file:"):
        text = text[len("file:") :].split("?", 1)[0]
    return os.path.abspath(text)


# Forking while the thread is inside SQLite could leave one of SQLite's mutexes held forever in
# the child. The thread holds this lock while it works, and a fork waits for it
# (``os.register_at_fork``), so the thread is safe to fork beside (``fork_safe``, workflow/audit.py).
_fork_lock = threading.Lock()
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _fork_lock, _threads_lock
    _fork_lock = threading.Lock()  # the parent's copy was held at the fork
    _threads_lock = threading.Lock()
    _threads.clear()  # the parent's threads do not exist here


os.register_at_fork(
    before=lambda: _fork_lock.acquire(),
    after_in_parent=lambda: _fork_lock.release(),
    after_in_child=_after_fork_in_child,
)


def _start_checkpointer(path: str) -> None:
    with _threads_lock:
        thread = _threads.get(path)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(
            target=_checkpoint_loop, args=(path,), name="sqlite-checkpoint", daemon=True
        )
        thread.fork_safe = True  # type: ignore[attr-defined]
        _threads[path] = thread
        thread.start()


def checkpoint_once(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """One passive checkpoint: (busy, frames in the log, frames copied back)."""
    with _fork_lock:
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _checkpoint_loop(path: str) -> None:
    wal = path + "-wal"
    connection: sqlite3.Connection | None = None
    seen: tuple[int, int] | None = None
    try:
        while True:
            time.sleep(checkpoint_interval())
            try:
                stat = os.stat(wal)
            except FileNotFoundError:
                if not os.path.exists(path):
                    return  # the database was removed (a test's): nothing left to do
                continue
            if (stat.st_mtime_ns, stat.st_size) == seen:
                continue  # nothing committed since the last checkpoint
            if connection is None:
                connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
            try:
                checkpoint_once(connection)
            except sqlite3.Error:
                log.debug("sqlite checkpoint of %s skipped", path, exc_info=True)
            try:
                stat = os.stat(wal)
            except FileNotFoundError:
                continue
            seen = (stat.st_mtime_ns, stat.st_size)
    finally:
        if connection is not None:
            connection.close()
