"""The connection a record store writes its table of the server's SQLite file through.

The server opens one connection for the whole file and shares it (with the lock that
serialises its use) between the checkpoint saver and the record stores: writers on
separate connections to one file wait for each other in SQLite's busy handler, which
sleeps a millisecond or more per conflict, on every run.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

# A record is written from the event loop: while another process holds the file's
# write lock it waits this long at most, then fails (the caller logs it).
RECORD_WAIT_MS = 5000


@dataclass(frozen=True)
class SqliteDb:
    conn: sqlite3.Connection
    lock: threading.RLock

    def write(self, sql: str, args: tuple = ()) -> None:
        """One statement in a transaction of its own, waiting at most RECORD_WAIT_MS
        for another process's write lock; the connection's own wait is put back."""
        with self.lock:
            (before,) = self.conn.execute("PRAGMA busy_timeout").fetchone()
            if before != RECORD_WAIT_MS:
                self.conn.execute(f"PRAGMA busy_timeout = {RECORD_WAIT_MS}")
            try:
                self.conn.execute(sql, args)
            finally:
                if before != RECORD_WAIT_MS:
                    self.conn.execute(f"PRAGMA busy_timeout = {int(before)}")


def open_db(path: str) -> SqliteDb:
    """A connection of the store's own, for a record store used on its own (tests, tools)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, no fsync per write
    conn.execute(f"PRAGMA busy_timeout = {RECORD_WAIT_MS}")
    return SqliteDb(conn, threading.RLock())
