"""Shared, expiring key-value storage for the LTI tool: OIDC state and nonces, launches, the
tool's key and dynamically registered platforms.

Every gunicorn worker and every replica must see the same values (a login answered by one
worker is launched on another), so the store is Redis when ``ACTFN_LTI_STORAGE`` (or the rate
limiter's ``ACTFN_RATE_LIMIT_STORAGE``) names one. Without Redis it is a SQLite file, which the
workers of one host share (``ACTFN_LTI_STORAGE=sqlite:///path``, a temporary file by default):
right for one machine, wrong for several replicas.

Values are JSON. ``pop`` reads and deletes in one step, which is what makes a nonce or a state
single-use under concurrency.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from typing import Any

PREFIX = "actfn:lti:"


class Store:
    """The interface pylti1p3's cache storage calls (``get``, ``set``) plus ``pop``, ``add``
    (set only if absent) and ``delete``."""

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

    def values(self, prefix: str) -> list[Any]:
        raise NotImplementedError


class RedisStore(Store):
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.url = url

    def get(self, key):
        raw = self.redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key, value, exp=None):
        self.redis.set(PREFIX + key, json.dumps(value), ex=exp or None)

    def add(self, key, value, exp=None):
        return bool(self.redis.set(PREFIX + key, json.dumps(value), ex=exp or None, nx=True))

    def pop(self, key):
        raw = self.redis.getdel(PREFIX + key)
        return None if raw is None else json.loads(raw)

    def delete(self, key):
        self.redis.delete(PREFIX + key)

    def values(self, prefix):
        keys = list(self.redis.scan_iter(match=PREFIX + prefix + "*", count=500))
        return [json.loads(v) for v in self.redis.mget(keys) if v is not None] if keys else []


class SqliteStore(Store):
    """One table of (key, JSON value, expiry); a connection per thread, WAL so that the workers
    of a host read while one writes."""

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, exp REAL)")

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

    def get(self, key):
        row = (
            self._db()
            .execute("SELECT v FROM kv WHERE k = ? AND (exp IS NULL OR exp > ?)", (key, time.time()))
            .fetchone()
        )
        return None if row is None else json.loads(row[0])

    def set(self, key, value, exp=None):
        self._db().execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (key, json.dumps(value), self._expiry(exp)))

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

    def delete(self, key):
        self._db().execute("DELETE FROM kv WHERE k = ?", (key,))

    def values(self, prefix):
        rows = (
            self._db()
            .execute(
                "SELECT v FROM kv WHERE k >= ? AND k < ? AND (exp IS NULL OR exp > ?)",
                (prefix, prefix + "\uffff", time.time()),
            )
            .fetchall()
        )
        return [json.loads(r[0]) for r in rows]


def default_sqlite_path() -> str:
    return os.path.join(tempfile.gettempdir(), f"actfn-lti-{os.getuid() if hasattr(os, 'getuid') else 0}.sqlite3")


def open_store(url: str) -> Store:
    """``redis://…``/``rediss://…``/``unix://…`` → Redis; ``sqlite:///abs/path`` or empty → SQLite."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url.startswith("sqlite:///"):
        return SqliteStore(url[len("sqlite://") :])  # sqlite:///var/lib/actfn/lti.db → /var/lib/…
    if url in ("", "memory://"):
        return SqliteStore(default_sqlite_path())
    raise ValueError(f"ACTFN_LTI_STORAGE: {url!r} is neither redis://… nor sqlite:///…")
