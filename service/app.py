"""The application factory: ``create_app(config=None)``."""

from __future__ import annotations

import logging
import types
from collections.abc import Callable
from typing import Any

from flask import Flask

from . import config as settings
from . import lti
from .api import register
from .api.jsonprovider import OrjsonProvider


class App(Flask):
    """Flask, with each view and hook checked once for ``async def`` instead of on every request
    (Flask asks before each call: ~2 µs each, five or more per request)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self._sync.get(func) if isinstance(func, types.FunctionType) else None
        if sync is None:
            sync = super().ensure_sync(func)
            # Plain functions only (views and hooks, made once), and a bound: a callable made
            # per request is never kept alive here.
            if isinstance(func, types.FunctionType) and len(self._sync) < 4096:
                self._sync[func] = sync
        return sync


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app: settings, JSON provider, API blueprints, error handlers.

    Nothing here touches a JAX device, so it is safe in a gunicorn master; compilation
    and warm-up happen per worker (see ``gunicorn.conf.py``).
    """
    app = App(__name__, static_folder=None)
    app.config.from_mapping(settings.load(config))
    warning = settings.check_secrets(app.config)  # raises in production without a private secret
    app.json = OrjsonProvider(app)
    logging.getLogger("jax").setLevel(logging.WARNING)
    api = register(app)
    lti.install(app, api)
    if warning and not app.testing:
        logging.getLogger("actfn").warning(warning)
    if app.config["COMPILATION_CACHE_DIR"]:
        from .core.programs import persist

        refused = persist(app.config["COMPILATION_CACHE_DIR"], app.config["COMPILATION_CACHE_MB"])
        if refused:
            logging.getLogger("actfn").warning("compilation cache off: %s", refused)
    return app
