"""The Blueprint every resource uses: flask-smorest's, with this service's request parser."""

import flask_smorest

from .parser import PARSER

# Error responses registered by flask-smorest as components, by status code.
ERROR_RESPONSES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "SERVICE_UNAVAILABLE",
}
# What any JSON-body endpoint can answer besides 200 and 422.
BODY_ERRORS = (400, 404, 413, 415)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = PARSER

    def errors(self, *codes: int):
        """Document these problem+json responses on the operation."""

        def decorator(view):
            for code in codes:
                view = self.alt_response(code, response=ERROR_RESPONSES[code])(view)
            return view

        return decorator
