"""Request parsing for every view: orjson for bodies, 415 for non-JSON bodies, 413 for
streamed bodies past the cap, a structural check of the raw bytes before parsing (a body of
millions of tiny arrays is refused before it costs a gigabyte), and JSON's non-standard
``NaN``/``Infinity`` tokens and out-of-range integers turned into values the schemas reject by
field."""

from __future__ import annotations

import json

import marshmallow as ma
import orjson
from flask import Request, current_app
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge


def _parse_int(text: str):
    """Integers past int64 become floats (±inf past float64), which every numeric field
    refuses by name: never a Python int too large for float() deeper in."""
    return int(text) if len(text) <= 18 else float(text)


def _load(data: bytes):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as strict_error:
        # Python's parser reads NaN, ±Infinity, 1e400 and 400-digit integers: loading them
        # as floats lets the schema name the field that holds them (422) instead of a bare 400.
        try:
            return json.loads(data, parse_constant=float, parse_int=_parse_int)
        except (ValueError, RecursionError):
            raise strict_error from None


def check_structure(data: bytes, limits) -> None:
    """Refuse, before parsing, a body with more arrays/objects or values than any request
    within the caps can hold (counted on the raw bytes: brackets, braces and commas)."""
    containers = data.count(b"[") + data.count(b"{")
    if containers > limits.max_body_containers:
        abort(
            422,
            messages={
                "body": [
                    f"holds {containers} arrays and objects, over max_body_containers={limits.max_body_containers}"
                ]
            },
        )
    values = data.count(b",") + containers + 1
    if values > limits.max_body_values:
        abort(422, messages={"body": [f"holds about {values} values, over max_body_values={limits.max_body_values}"]})


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422
    # An unknown query key is a typo worth reporting (422), as an unknown body field is.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _raw_load_json(self, req: Request):
        data = req.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
        cap = current_app.config["MAX_CONTENT_LENGTH"]
        if req.content_length is None and cap is not None and len(data) >= cap:
            raise RequestEntityTooLarge()  # a streamed (chunked) body is cut at the cap, not refused
        if not is_json_request(req):
            if data:
                abort(
                    415,
                    messages={"Content-Type": [f"must be application/json, got '{req.mimetype or 'none'}'"]},
                )
            return core.missing
        if not data:
            return core.missing
        check_structure(data, current_app.config["LIMITS"])
        return _load(data)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, messages={"body": [f"invalid JSON: {error}"]})


PARSER = Parser()
