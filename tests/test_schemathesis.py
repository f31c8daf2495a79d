"""Property-based API testing with schemathesis against the generated openapi.yaml: every
operation, a fixed seed and a bounded number of examples, all default checks — no server
errors, responses that match their schema, only documented status codes, content types and
headers, invalid data rejected — except one: ``positive_data_acceptance`` expects every
request that satisfies the JSON schema to succeed, and rules a JSON schema cannot state (a
formula must parse, a param must be known to the named activation, xmin < xmax, caps that
multiply several fields) make such requests a correct 422 here."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance

import pytest

from service.app import create_app

pytestmark = pytest.mark.slow  # property-based runs of every operation: `make test-fast` leaves it out

APP = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_spec(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
