"""actfn for chatbots: a Model Context Protocol server (the official ``mcp`` SDK) beside the
REST API. :mod:`.server` builds it; ``python -m service.mcp`` runs it over stdio or Streamable
HTTP (:mod:`.__main__`)."""
