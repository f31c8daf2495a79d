"""Caps on the work one request may ask for; reported verbatim by ``GET /v1/limits``."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any


def cap(default: float, description: str) -> Any:
    """A field of :class:`Limits`: its default and the one-line description the API reports."""
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Limits:
    """Every cap is a plain number so clients can read it and stay under it.

    The defaults keep the largest request within a few seconds of compute on 2 CPU cores
    (README "Operating" lists the worst accepted request of each endpoint, measured by
    ``make bench``) and its JSON response under ~100 MB.
    """

    max_points: int = cap(1_000_000, "element-wise points per request (x length or grid.num)")
    max_vector_length: int = cap(1_024, "entries in one vector (vector activations)")
    max_vectors: int = cap(10_000, "vectors per request")
    # 1,024²: one vector of max_vector_length gets its whole Jacobian.
    max_jacobian_entries: int = cap(1_048_576, "vectors × outputs × inputs when order ≥ 1")
    max_hessian_entries: int = cap(1_000_000, "vectors × outputs × inputs² when order = 2")
    # x values on GET .../evaluate: 250 numbers of up to 24 characters, written x=…&x=… and
    # URL-encoded (29 bytes each), with the longest name and every option, fit the 8,190-byte
    # request line of gunicorn (and nginx in front); more points go in a POST.
    max_query_points: int = cap(250, "points in x on GET …/evaluate")
    # An MCP tool's answer goes into a language model's context: far fewer numbers than a
    # program reading the REST API takes.
    max_tool_points: int = cap(
        10_000, "numbers in the arrays of one MCP tool answer (and in x or grid.num of evaluate and compare)"
    )
    max_body_bytes: int = cap(32 * 1024 * 1024, "request body size (413 above)")
    # Counted on the raw body before it is parsed: the largest request within the other caps
    # (10,000 vectors; 2,000,000 numbers) fits, a body of millions of tiny arrays does not.
    max_body_containers: int = cap(20_000, "arrays and objects in one JSON body (checked before parsing)")
    max_body_values: int = cap(2_100_000, "values in one JSON body, counted by separators before parsing")
    max_order: int = cap(2, "highest derivative order")
    max_response_numbers: int = cap(
        4_000_000, "numbers in one evaluate answer (x, values, derivatives, Jacobians, Hessians)"
    )
    max_chain_depth: int = cap(10_000, "layers of POST /v1/chain")
    max_chain_inputs: int = cap(1_000, "starting points z per chain")
    # inputs × depth (each cell is 5 numbers in the response)
    max_chain_cells: int = cap(200_000, "inputs × depth per chain")
    max_flow_depth: int = cap(200, "hidden layers of POST /v1/gradient-flow")
    max_flow_width: int = cap(1_024, "units per hidden layer")
    max_flow_batch: int = cap(1_024, "samples per batch")
    # depth × width × batch (activations kept for backprop)
    max_flow_cells: int = cap(4_000_000, "depth × width × batch")
    # depth × width² (weights in memory; README "Memory")
    max_flow_weights: int = cap(8_000_000, "depth × width²")
    # depth × width² × batch (≈ 1/6 of the flops)
    max_flow_work: int = cap(2_000_000_000, "depth × width² × batch")
    max_expression_length: int = cap(1_000, "characters of a custom formula")
    max_expression_nodes: int = cap(200, "syntax-tree nodes of a formula")
    max_expression_depth: int = cap(32, "nesting depth of a formula")
    max_expression_params: int = cap(16, "named params of a formula")
    max_expression_literal: float = cap(1e15, "|numeric literal| and |param value|")
    max_expression_exponent: float = cap(64.0, "|constant exponent| of **")
    expression_cache_size: int = cap(256, "parsed formulas kept per worker (LRU)")
    # Operations of a formula's program at the order asked for (README "Custom activations"):
    # bounds its trace and compile time (about 1 s at the cap here) before it is compiled.
    max_formula_size: int = cap(
        2_000, "operations of a formula's program at the order asked for (bounds its compile time)"
    )
    # Formula size × element-wise evaluations a request needs (points, chain cells, MLP units
    # × batch × layers): bounds the run time of a large formula on many points.
    max_formula_work: int = cap(
        1_000_000_000, "formula size × element-wise evaluations a request needs (bounds its run time)"
    )
    # Compiled programs of every kind kept per worker (LRU), by their estimated memory.
    max_compiled_mb: int = cap(128, "estimated memory of the compiled programs kept per worker, of every kind (LRU)")
    max_quiz_questions: int = cap(200, "questions per quiz or export")
    max_plot_width: int = cap(2_000, "pixels of a picture's width")
    max_plot_height: int = cap(2_000, "pixels of a picture's height")
    max_plot_curves: int = cap(8, "activations on one picture")
    max_plot_depth: int = cap(1_000, "layers on a chain picture")
    max_plot_abs_x: float = cap(1e6, "|xmin|, |xmax| of a picture")

    @classmethod
    def from_env(cls, environ=os.environ) -> Limits:
        """Defaults overridden by ``ACTFN_<FIELD>`` environment variables."""
        values: dict = {}
        for f in fields(cls):
            raw = environ.get(f"ACTFN_{f.name.upper()}")
            if raw is not None:
                values[f.name] = type(f.default)(float(raw)) if isinstance(f.default, float) else int(raw)
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)
