"""actfn: a REST service that computes neural-network activation functions.

``service.core`` is the pure compute package (JAX, no Flask); ``service.api`` is the thin
HTTP layer; gunicorn serves ``service:create_app()``. ``create_app`` is imported on first
use, so that ``service.serving`` (gunicorn's side) loads in the master without JAX.
"""


def __getattr__(name):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")


__all__ = ["create_app"]
