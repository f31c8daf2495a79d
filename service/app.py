"""The application factory: ``create_app(config=None)``."""

from __future__ import annotations

import logging

from flask import Flask

from . import config as settings
from . import lti
from .api import register
from .api.jsonprovider import OrjsonProvider


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app: settings, JSON provider, API blueprints, error handlers.

    Nothing here touches a JAX device, so it is safe in a gunicorn master; compilation
    and warm-up happen per worker (see ``gunicorn.conf.py``).
    """
    app = Flask(__name__, static_folder=None)
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
