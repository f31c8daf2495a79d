"""Request parsing for every view: orjson for bodies, 415 for non-JSON bodies, and JSON's
non-standard ``NaN``/``Infinity`` tokens turned into values the schemas reject by field."""

from __future__ import annotations

import json

import marshmallow as ma
import orjson
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


def _load(data: bytes):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as strict_error:
        # Python's parser reads NaN, ±Infinity and 1e400 as floats: loading them that way
        # lets the schema name the field that holds them (422) instead of a bare 400.
        try:
            return json.loads(data, parse_constant=float)
        except (ValueError, RecursionError):
            raise strict_error from None


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422
    # An unknown query key is a typo worth reporting (422), as an unknown body field is.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _raw_load_json(self, req: Request):
        data = req.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        if not is_json_request(req):
            if data:
                abort(
                    415,
                    messages={"Content-Type": [f"must be application/json, got '{req.mimetype or 'none'}'"]},
                )
            return core.missing
        if not data:
            return core.missing
        return _load(data)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, messages={"body": [f"invalid JSON: {error}"]})


PARSER = Parser()
