"""Property-based API testing with schemathesis against the generated openapi.yaml: every
operation, a fixed seed and a bounded number of examples, all default checks — no server
errors, responses that match their schema, only documented status codes, content types and
headers, invalid data rejected — except one: ``positive_data_acceptance`` expects every
request that satisfies the JSON schema to succeed, and rules a JSON schema cannot state (a
formula must parse, a param must be known to the named activation, xmin < xmax, caps that
multiply several fields) make such requests a correct 422 here."""

from __future__ import annotations

import warnings

import jsonschema
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.core.failures import AcceptedNegativeData
    from schemathesis.specs.openapi.checks import positive_data_acceptance

import pytest

from service.app import create_app

pytestmark = pytest.mark.slow  # property-based runs of every operation: `make test-fast` leaves it out

APP = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)
SPEC = APP.extensions["actfn_api"].spec.to_dict()


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def null_means_absent(case) -> bool:
    """The service reads an explicit null on a field that does not take null as the field
    left out (strict LLM tool callers send null for every optional field; service/api/parser.py).
    A negative case whose body is valid once its nulls are dropped was rightly accepted."""
    body = case.body
    if not isinstance(body, dict) or _without_nulls(body) == body:
        return False
    operation = SPEC["paths"][case.operation.path][case.operation.method.lower()]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**body_schema, "components": SPEC["components"]})
    return validator.is_valid(_without_nulls(body))


def conforms(case) -> None:
    try:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
    except AcceptedNegativeData:
        if not null_means_absent(case):
            raise
    except BaseExceptionGroup as group:  # schemathesis's FailureGroup: one per failed check
        others = group.subgroup(lambda e: not isinstance(e, AcceptedNegativeData | BaseExceptionGroup))
        if others is not None or not null_means_absent(case):
            raise


def conformance_test(operation_id: str):
    """One test function per operation, so each has its own node id: ``@schema.parametrize()``
    on one function gives every operation the same id, and pytest-xdist's ``--dist loadfile``
    (make test) schedules by id — it ran the first operation and silently dropped the rest."""

    @schema.include(operation_id=operation_id).parametrize()
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case):
        conforms(case)

    return test


OPERATION_IDS = sorted(op.ok().definition.raw["operationId"] for op in schema.get_all_operations())
for _operation_id in OPERATION_IDS:
    globals()[f"test_{_operation_id}_conforms_to_its_spec"] = conformance_test(_operation_id)


def test_every_operation_has_its_own_conformance_test():
    assert len(OPERATION_IDS) == len(set(OPERATION_IDS)) == len(SPEC_OPERATIONS) > 20


SPEC_OPERATIONS = [
    (path, method)
    for path, item in SPEC["paths"].items()
    for method in item
    if method in ("get", "post", "put", "delete", "patch")
]
