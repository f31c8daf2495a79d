"""Caps on the work one request may ask for; reported verbatim by ``GET /v1/limits``."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Every cap is a plain number so clients can read it and stay under it.

    The defaults keep the largest request within a few seconds of compute on 2 CPU cores
    (README "Operating" lists the worst accepted request of each endpoint, measured by
    ``make bench``) and its JSON response under ~100 MB.
    """

    max_points: int = 1_000_000  # element-wise x values (or grid.num) per request
    max_vector_length: int = 1_024  # entries in one vector for vector activations
    max_vectors: int = 10_000  # vectors per request
    max_jacobian_entries: int = 1_000_000  # vectors × outputs × inputs when order ≥ 1
    max_hessian_entries: int = 1_000_000  # vectors × outputs × inputs² when order = 2
    max_query_points: int = 1_000  # x values on GET .../evaluate (URLs stay short)
    max_body_bytes: int = 32 * 1024 * 1024  # request body (413 above it)
    # Counted on the raw body before it is parsed: the largest request within the other caps
    # (10,000 vectors; 2,000,000 numbers) fits, a body of millions of tiny arrays does not.
    max_body_containers: int = 20_000  # arrays and objects in one JSON body
    max_body_values: int = 2_100_000  # values (numbers, strings, arrays, objects) in one JSON body
    max_order: int = 2
    max_response_numbers: int = 4_000_000  # numbers in one evaluate answer (x, values, derivatives)
    max_chain_depth: int = 10_000  # layers of the scalar chain
    max_chain_inputs: int = 1_000  # starting points z per chain request
    max_chain_cells: int = 200_000  # inputs × depth (each cell is 5 numbers in the response)
    max_flow_depth: int = 200  # hidden layers of the gradient-flow MLP
    max_flow_width: int = 1_024  # units per hidden layer
    max_flow_batch: int = 1_024  # samples in the random input batch
    max_flow_cells: int = 4_000_000  # depth × width × batch (activations kept for backprop)
    max_flow_weights: int = 8_000_000  # depth × width² (weights in memory; README "Memory")
    max_flow_work: int = 2_000_000_000  # depth × width² × batch (≈ 1/6 of the flops)
    max_expression_length: int = 1_000  # characters of a custom formula
    max_expression_nodes: int = 200  # syntax-tree nodes
    max_expression_depth: int = 32  # nesting depth of the tree
    max_expression_params: int = 16  # named params of one formula
    max_expression_literal: float = 1e15  # |numeric literal| (and |param value|)
    max_expression_exponent: float = 64.0  # |constant exponent| of **
    expression_cache_size: int = 256  # parsed formulas kept per worker (LRU)
    # Operations of a formula's program at the order asked for (README "Custom activations"):
    # bounds its trace and compile time (about 1 s at the cap here) before it is compiled.
    max_formula_size: int = 2_000
    # Formula size × element-wise evaluations a request needs (points, chain cells, MLP units
    # × batch × layers): bounds the run time of a large formula on many points.
    max_formula_work: int = 1_000_000_000
    # Compiled programs of every kind kept per worker (LRU), by their estimated memory.
    max_compiled_mb: int = 128
    max_quiz_questions: int = 200  # questions per quiz request or export
    max_plot_width: int = 2_000  # pixels (also the SVG's nominal size)
    max_plot_height: int = 2_000
    max_plot_curves: int = 8  # activations on one picture
    max_plot_depth: int = 1_000  # layers on a chain picture
    max_plot_abs_x: float = 1e6  # |xmin|, |xmax|

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
