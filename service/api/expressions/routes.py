"""GET /v1/expressions/functions: what a custom formula may use (for autocompletion)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from ...core import expressions, rewrites
from ..blueprint import Blueprint

blp = Blueprint("expressions", __name__, url_prefix="/v1/expressions", description="Custom formulas")


class FunctionSchema(ma.Schema):
    name = ma.fields.String()
    arity = ma.fields.Integer()
    description = ma.fields.String()


class RewriteSchema(ma.Schema):
    pattern = ma.fields.String(
        metadata={"description": "what is recognised (u: any sub-formula in x; k, c: free of x)"}
    )
    replacement = ma.fields.String(metadata={"description": "the same function, written stably"})
    why = ma.fields.String(metadata={"description": "what the literal form loses"})


class LanguageSchema(ma.Schema):
    variable = ma.fields.String()
    constants = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    operators = ma.fields.List(ma.fields.String())
    functions = ma.fields.List(ma.fields.Nested(FunctionSchema))
    limits = ma.fields.Dict(metadata={"description": "the caps on a formula"})
    gradients = ma.fields.String(metadata={"description": "how derivatives behave at where() and comparisons"})
    rewrites = ma.fields.List(
        ma.fields.Nested(RewriteSchema),
        metadata={"description": "textbook patterns rewritten to stable forms before a formula is differentiated"},
    )


@blp.route("/functions", operation_id="list_formula_functions")
@blp.response(200, LanguageSchema())
def functions():
    """The expression language: variable, constants, operators, functions and caps.

    What `{"expression": ...}` accepts wherever an activation is expected: the variable `x`,
    named params, `+ - * / **`, comparisons, `where`, the constants and every function listed
    (each catalog activation among them), the caps on a formula's size, and the textbook
    patterns rewritten to stable forms before a formula is differentiated."""
    limits = current_app.config["LIMITS"].as_dict()
    return {
        "variable": expressions.VARIABLE,
        "constants": expressions.CONSTANTS,
        "operators": ["+", "-", "*", "/", "**", "unary -", "unary +", "<", "<=", ">", ">=", "==", "!=", "( )"],
        "functions": expressions.functions_table(),
        "limits": {k: v for k, v in limits.items() if "expression" in k},
        "gradients": (
            "Derivatives are exact (forward-mode autodiff of the compiled formula). where(cond, a, b) and "
            "comparisons differentiate the branch chosen at each point; the condition has derivative 0, and "
            "a branch that is NaN or infinite where it is not chosen does not reach the derivative."
        ),
        "rewrites": [{"pattern": r.pattern, "replacement": r.replacement, "why": r.why} for r in rewrites.RULES],
    }
