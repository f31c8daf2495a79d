"""Shared, expiring key-value storage for the LTI tool: OIDC state and nonces, launches, the
tool's key and dynamically registered platforms.

Every gunicorn worker and every replica must see the same values (a login answered by one
worker is launched on another), so the store is Redis when ``ACTFN_LTI_STORAGE`` (or the rate
limiter's ``ACTFN_RATE_LIMIT_STORAGE``) names one. Without Redis it is a SQLite file, which the
workers of one host share (``ACTFN_LTI_STORAGE=sqlite:///path``, a temporary file by default):
right for one machine, wrong for several replicas.

Values are JSON. ``pop`` reads and deletes in one step, which is what makes a nonce or a state
single-use under concurrency; ``add`` sets only what is absent, which makes a graded attempt or
a registration happen once. A store that cannot be reached raises :class:`StoreUnavailable`
(answered 503).
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import stat
import tempfile
import threading
import time
from typing import Any

PREFIX = "actfn:lti:"


class StoreUnavailable(Exception):
    """Redis or the SQLite file did not answer: the request is refused with a 503, never taken
    as a bad launch."""


def _guarded(errors: tuple[type[BaseException], ...]):
    """Methods whose backend errors become :class:`StoreUnavailable`."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except errors as e:
                raise StoreUnavailable(f"the LTI storage is unavailable ({type(e).__name__})") from e

        return wrapper

    return decorate


class Store:
    """The interface pylti1p3's cache storage calls (``get``, ``set``) plus ``pop``, ``add``
    (set only if absent) and ``delete``; ``hadd``/``hvalues`` keep a small named table (the
    registered platforms) that is listed without scanning the keyspace."""

    def get(self, key: str) -> Any:
        raise NotImplementedError

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        raise NotImplementedError

    def add(self, key: str, value: Any, exp: int | None = None) -> bool:
        raise NotImplementedError

    def pop(self, key: str) -> Any:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def hadd(self, table: str, key: str, value: Any) -> bool:
        """Add ``key`` to ``table`` unless it is there already (no expiry)."""
        raise NotImplementedError

    def hvalues(self, table: str) -> list[Any]:
        raise NotImplementedError


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError,)


class RedisStore(Store):
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.url = url

    @_guarded(_redis_errors())
    def get(self, key):
        raw = self.redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    @_guarded(_redis_errors())
    def set(self, key, value, exp=None):
        self.redis.set(PREFIX + key, json.dumps(value), ex=exp or None)

    @_guarded(_redis_errors())
    def add(self, key, value, exp=None):
        return bool(self.redis.set(PREFIX + key, json.dumps(value), ex=exp or None, nx=True))

    @_guarded(_redis_errors())
    def pop(self, key):
        raw = self.redis.getdel(PREFIX + key)
        return None if raw is None else json.loads(raw)

    @_guarded(_redis_errors())
    def delete(self, key):
        self.redis.delete(PREFIX + key)

    @_guarded(_redis_errors())
    def hadd(self, table, key, value):
        return bool(self.redis.hsetnx(PREFIX + table, key, json.dumps(value)))

    @_guarded(_redis_errors())
    def hvalues(self, table):
        return [json.loads(v) for v in self.redis.hvals(PREFIX + table)]


class SqliteStore(Store):
    """One table of (key, JSON value, expiry); a connection per thread, WAL so that the workers
    of a host read while one writes."""

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()
        try:
            # The file holds the tool's private key when none is configured: readable by us only.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            with self._db() as db:
                db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, exp REAL)")
        except (OSError, sqlite3.Error) as e:
            raise StoreUnavailable(f"the LTI storage {path} cannot be opened ({e})") from e

    def _db(self) -> sqlite3.Connection:
        db = getattr(self.local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self.local.db = db
        return db

    @staticmethod
    def _expiry(exp):
        return time.time() + exp if exp else None

    @_guarded((sqlite3.Error,))
    def get(self, key):
        row = (
            self._db()
            .execute("SELECT v FROM kv WHERE k = ? AND (exp IS NULL OR exp > ?)", (key, time.time()))
            .fetchone()
        )
        return None if row is None else json.loads(row[0])

    @_guarded((sqlite3.Error,))
    def set(self, key, value, exp=None):
        self._db().execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (key, json.dumps(value), self._expiry(exp)))

    @_guarded((sqlite3.Error,))
    def add(self, key, value, exp=None):
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM kv WHERE k = ? AND exp IS NOT NULL AND exp <= ?", (key, time.time()))
            added = db.execute(
                "INSERT OR IGNORE INTO kv VALUES (?, ?, ?)", (key, json.dumps(value), self._expiry(exp))
            ).rowcount
        finally:
            db.execute("COMMIT")
        return added == 1

    @_guarded((sqlite3.Error,))
    def pop(self, key):
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT v, exp FROM kv WHERE k = ?", (key,)).fetchone()
            db.execute("DELETE FROM kv WHERE k = ?", (key,))
            # Now and then, drop what has expired.
            db.execute("DELETE FROM kv WHERE exp IS NOT NULL AND exp <= ?", (time.time(),))
        finally:
            db.execute("COMMIT")
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return json.loads(row[0])

    @_guarded((sqlite3.Error,))
    def delete(self, key):
        self._db().execute("DELETE FROM kv WHERE k = ?", (key,))

    def hadd(self, table, key, value):
        return self.add(f"{table}\x00{key}", value)

    @_guarded((sqlite3.Error,))
    def hvalues(self, table):
        low = table + "\x00"
        rows = self._db().execute("SELECT v FROM kv WHERE k >= ? AND k < ?", (low, table + "\x01")).fetchall()
        return [json.loads(r[0]) for r in rows]


def default_sqlite_path() -> str:
    """A file in a directory of the temporary folder that only this user can enter (created
    0700, refused if another user owns it or it is a link)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = os.path.join(tempfile.gettempdir(), f"actfn-lti-{uid}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise StoreUnavailable(
            f"{folder} is not a private directory of this user: set ACTFN_LTI_STORAGE=sqlite:///path or redis://…"
        )
    return os.path.join(folder, "lti.sqlite3")


def open_store(url: str) -> Store:
    """``redis://…``/``rediss://…``/``unix://…`` → Redis; ``sqlite:///abs/path`` or empty → SQLite."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url.startswith("sqlite:///"):
        return SqliteStore(url[len("sqlite://") :])  # sqlite:///var/lib/actfn/lti.db → /var/lib/…
    if url in ("", "memory://"):
        return SqliteStore(default_sqlite_path())
    raise ValueError(f"ACTFN_LTI_STORAGE: {url!r} is neither redis://… nor sqlite:///…")
