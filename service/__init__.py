"""actfn: a REST service that computes neural-network activation functions.

``service.core`` is the pure compute package (JAX, no Flask); ``service.api`` is the thin
HTTP layer; gunicorn serves ``service:create_app()``.
"""

from .app import create_app as create_app
