"""The LTI 1.3 Advantage tool: an LMS launches the explorer and graded quizzes in an iframe,
picks them by deep linking, gets scores back through AGS, and registers the tool dynamically.
See README "Use from an LMS"."""

from __future__ import annotations

import threading

from flask import Flask

from .store import open_store
from .tool import Tool, default_storage_url, log_storage


class LazyTool:
    """The tool, built on the first LTI request: the store (Redis or SQLite) is opened and the
    key loaded or generated only when an LMS calls, never at start-up."""

    def __init__(self, config: dict):
        self.config, self.lock = config, threading.Lock()
        self.tool: Tool | None = None

    def get(self) -> Tool:
        if self.tool is None:
            with self.lock:
                if self.tool is None:
                    url = default_storage_url(self.config)
                    log_storage(url)
                    self.tool = Tool.create(self.config, open_store(url))
        return self.tool


def install(app: Flask, api) -> None:
    from .routes import blp

    app.extensions["actfn_lti"] = LazyTool(app.config)
    api.register_blueprint(blp)
