"""GET /v1/expressions/functions: what a custom formula may use (for autocompletion)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from ...core import expressions
from ..blueprint import Blueprint

blp = Blueprint("expressions", __name__, url_prefix="/v1/expressions", description="Custom formulas")


class FunctionSchema(ma.Schema):
    name = ma.fields.String()
    arity = ma.fields.Integer()
    description = ma.fields.String()


class LanguageSchema(ma.Schema):
    variable = ma.fields.String()
    constants = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    operators = ma.fields.List(ma.fields.String())
    functions = ma.fields.List(ma.fields.Nested(FunctionSchema))
    limits = ma.fields.Dict(metadata={"description": "the caps on a formula"})
    gradients = ma.fields.String(metadata={"description": "how derivatives behave at where() and comparisons"})


@blp.route("/functions", operation_id="list_formula_functions")
@blp.response(200, LanguageSchema())
def functions():
    """The expression language: variable, constants, operators, functions and caps.

    What `{"expression": ...}` accepts wherever an activation is expected: the variable `x`,
    named params, `+ - * / **`, comparisons, `where`, the constants and every function listed
    (each catalog activation among them), and the caps on a formula's size."""
    limits = current_app.config["LIMITS"].as_dict()
    return {
        "variable": expressions.VARIABLE,
        "constants": expressions.CONSTANTS,
        "operators": ["+", "-", "*", "/", "**", "unary -", "unary +", "<", "<=", ">", ">=", "==", "!=", "( )"],
        "functions": expressions.functions_table(),
        "limits": {k: v for k, v in limits.items() if "expression" in k},
        "gradients": (
            "Derivatives are exact (jax.grad). where(cond, a, b) and comparisons differentiate the "
            "branch chosen at each point; the condition has derivative 0. A branch that is NaN or "
            "infinite where it is not chosen can still make the derivative NaN there: guard its "
            "input, e.g. where(x > 0, log(where(x > 0, x, 1)), 0)."
        ),
    }
