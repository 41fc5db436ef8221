"""Control-plane state: records persisted to SQLite (WAL) in the data dir, or kept in memory.

Providers keep their resources as plain in-memory objects and write each mutation through to this
store; at start-up they read their records back with ``load``. A record is a dict (see
``pycloud.state.codec`` for the value types) keyed by ``(service, kind, account, region, key)``.
Global resources use ``region=""``.

Thread-safety: one SQLite connection guarded by a re-entrant lock. Every public method may be
called from any thread; ``transaction()`` holds the lock for its whole block, so other threads'
writes wait until it commits.

Durability: the database runs in WAL mode with ``synchronous=NORMAL``. A ``put``/``delete`` (or a
``transaction()`` block) that has returned is committed: its WAL frames are in the operating
system's page cache before the call returns, so it survives the pycloud process being killed
(``kill -9``, a crash, an OOM kill). It is not fsynced on every commit, so an operating-system crash
or power loss may lose the last few commits, never the database's consistency. ``durable=True``
(``synchronous=FULL``) fsyncs every commit for that stronger guarantee, at a large cost per write.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from pycloud.state import codec

STATE_FILE = "state.db"
"""The file name of the control-plane database inside the data dir."""

SCHEMA_VERSION = 1
"""The schema this code writes. Older databases are migrated on open; newer ones are refused."""


class StateError(Exception):
    """The state store cannot be opened or used (bad data dir, corrupt file, closed store...)."""


class Record(NamedTuple):
    """One stored record with its full key."""

    service: str
    kind: str
    account: str
    region: str
    key: str
    record: dict[str, Any]


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS records (
               service TEXT NOT NULL,
               kind    TEXT NOT NULL,
               account TEXT NOT NULL,
               region  TEXT NOT NULL,
               key     TEXT NOT NULL,
               data    TEXT NOT NULL,
               PRIMARY KEY (service, kind, account, region, key)
           ) WITHOUT ROWID"""
    )


# MIGRATIONS[n] brings a database from version n to n + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_to_1]
assert len(MIGRATIONS) == SCHEMA_VERSION


class StateStore:
    """Keyed JSON records in SQLite; see the module docstring for the thread-safety contract."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0  # nesting level of transaction() blocks
        self._closed = False
        self.path = path
        """The database file, or None for an ephemeral store."""

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | str | None, *, durable: bool = False) -> StateStore:
        """Open (creating if needed) the store in ``data_dir``; ``None`` keeps it in memory only.

        Raises StateError when the directory cannot be created or written, or when the state
        file is not a pycloud database.
        """
        if data_dir is None:
            conn = cls._connect(":memory:")
            path = None
        else:
            data_dir = Path(data_dir)
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(f"cannot create the data dir {data_dir}: {exc.strerror or exc}") from exc
            if not data_dir.is_dir():
                raise StateError(f"the data dir {data_dir} is not a directory")
            path = data_dir / STATE_FILE
            conn = cls._connect(str(path))
        store = cls(conn, path)
        try:
            store._configure(durable)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StateError(f"cannot use the state file {path}: {exc}") from exc
        except StateError:
            conn.close()
            raise
        return store

    @staticmethod
    def _connect(target: str) -> sqlite3.Connection:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, nothing is implicit.
            return sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=10.0)
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state file {target}: {exc}") from exc

    def _configure(self, durable: bool) -> None:
        conn = self._conn
        if self.path is not None:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StateError(f"the state file {self.path} cannot be switched to WAL mode")
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")

    def _migrate(self) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"the state file {self.path} has schema version {version}, newer than this pycloud "
                    f"understands ({SCHEMA_VERSION})"
                )
            for step in MIGRATIONS[version:]:
                step(conn)
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif version != SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- helpers -------------------------------------------------------------------------------

    @property
    def ephemeral(self) -> bool:
        """True when nothing is written to disk."""
        return self.path is None

    @property
    def persistent(self) -> bool:
        """True when records are written to the data dir."""
        return self.path is not None

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._locked() as conn:
            return conn.execute("SELECT version FROM schema_version").fetchone()[0]

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StateError("the state store is closed")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StateError(f"state store failure: {exc}") from exc

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._locked() as conn:
            # Outside a transaction() block each statement is its own committed transaction.
            return conn.execute(sql, args).rowcount

    # -- records -------------------------------------------------------------------------------

    def put(self, service: str, kind: str, account: str, region: str, key: str, record: dict[str, Any]) -> None:
        """Insert or replace one record; committed when this returns (unless inside transaction())."""
        data = codec.dumps(record)
        self._write(
            "INSERT OR REPLACE INTO records (service, kind, account, region, key, data) VALUES (?, ?, ?, ?, ?, ?)",
            (service, kind, account, region, key, data),
        )

    def delete(self, service: str, kind: str, account: str, region: str, key: str) -> bool:
        """Remove one record; returns whether it existed."""
        return (
            self._write(
                "DELETE FROM records WHERE service = ? AND kind = ? AND account = ? AND region = ? AND key = ?",
                (service, kind, account, region, key),
            )
            > 0
        )

    def get(self, service: str, kind: str, account: str, region: str, key: str) -> dict[str, Any] | None:
        """The record stored under this key, or None."""
        with self._locked() as conn:
            row = conn.execute(
                "SELECT data FROM records WHERE service = ? AND kind = ? AND account = ? AND region = ? AND key = ?",
                (service, kind, account, region, key),
            ).fetchone()
        return codec.loads(row[0]) if row else None

    def load(
        self, service: str, kind: str | None = None, *, account: str | None = None, region: str | None = None
    ) -> Iterator[Record]:
        """Every record of ``service`` (optionally one kind / account / region), in key order.

        The rows are read under the lock and decoded lazily, so the caller may write to the store
        while iterating.
        """
        sql = "SELECT service, kind, account, region, key, data FROM records WHERE service = ?"
        args: list[Any] = [service]
        for column, value in (("kind", kind), ("account", account), ("region", region)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        sql += " ORDER BY kind, account, region, key"
        with self._locked() as conn:
            rows = conn.execute(sql, args).fetchall()
        return (Record(*row[:5], codec.loads(row[5])) for row in rows)

    def clear(self, service: str, kind: str | None = None) -> int:
        """Delete every record of ``service`` (or one of its kinds); returns how many went."""
        if kind is None:
            return self._write("DELETE FROM records WHERE service = ?", (service,))
        return self._write("DELETE FROM records WHERE service = ? AND kind = ?", (service, kind))

    def wipe(self) -> None:
        """Delete every record of every service (the admin "reset everything")."""
        self._write("DELETE FROM records", ())

    @contextmanager
    def transaction(self) -> Iterator[StateStore]:
        """Group several puts/deletes into one atomic commit.

        The block holds the store's lock (other threads wait), commits when it exits normally and
        rolls back when it raises. Blocks nest: an inner block is a savepoint.
        """
        with self._locked() as conn:
            outer = self._depth == 0
            conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT sp{self._depth}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO sp{self._depth}")
                    conn.execute(f"RELEASE sp{self._depth}")
                raise
            self._depth -= 1
            try:
                conn.execute("COMMIT" if outer else f"RELEASE sp{self._depth}")
            except sqlite3.Error:
                # A failed COMMIT (disk full, I/O error) can leave the transaction open; end it so
                # later writes are not silently folded into it.
                if outer and conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the database (checkpointing the WAL). Idempotent; later calls raise StateError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
