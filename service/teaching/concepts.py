"""Short explanations of the ideas behind activation functions, each with the requests that
show it and the numbers those requests return (computed by the core when first asked)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from . import facts


def _get(name: str, x: str, order: int = 1, **params) -> dict:
    q = "".join(f"&param.{k}={v}" for k, v in params.items())
    return {"method": "GET", "path": f"/v1/activations/{name}/evaluate?x={x}&order={order}{q}"}


def _chain(name: str, depth: int, z: float = 0.0, weight: float = 1.0) -> dict:
    return {
        "method": "POST",
        "path": "/v1/chain",
        "body": {"activation": name, "depth": depth, "z": z, "weight": weight},
    }


def _chain_ill(label: str, name: str, depth: int, z: float = 0.0, weight: float = 1.0) -> dict:
    """The chain's gradient with the POST /v1/chain request that returns it (same arguments)."""
    return _ill(label, facts.chain_gradient(name, depth, z, weight), _chain(name, depth, z, weight), "gradient")


def _sup(name: str) -> float:
    """sup |f′| of a catalog activation whose derivative is bounded."""
    sup = facts.props(name).max_abs_derivative
    assert sup is not None, name
    return sup


def _entry(name: str) -> dict:
    return {"method": "GET", "path": f"/v1/activations/{name}"}


def _ill(label: str, value, request: dict, field: str | None = None) -> dict:
    """``field``: where ``value`` sits in the response to ``request``, when it is one field."""
    out: dict = {"label": label, "value": value, "request": request}
    if field:
        out["field"] = field
    return out


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    summary: str
    body: tuple[str, ...]
    activations: tuple[str, ...]
    quiz_topics: tuple[str, ...]
    illustrate: Callable[[], list[dict]]

    def brief(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "activations": list(self.activations),
            "quiz_topics": list(self.quiz_topics),
            "href": f"/v1/concepts/{self.id}",
        }

    def full(self) -> dict:
        return {**self.brief(), "body": list(self.body), "illustrations": illustrations(self.id)}


@functools.cache
def _flow(name: str, init: str, std: float = 0.01):
    from ..core import CATALOG
    from ..core.flow import gradient_flow

    a = CATALOG.get(name)
    return gradient_flow(a, a.bind({}), depth=20, width=64, batch=64, init=init, std=std, seed=0)


def _flow_request(name: str, init: str, **extra) -> dict:
    body = {"activation": name, "depth": 20, "width": 64, "batch": 64, "init": init, "seed": 0, **extra}
    return {"method": "POST", "path": "/v1/gradient-flow", "body": body}


CONCEPTS = {
    c.id: c
    for c in (
        Concept(
            "nonlinearity",
            "Why non-linearity matters",
            "Without a non-linear activation, any stack of layers collapses into one linear map.",
            (
                "A layer computes W·x + b. Two such layers give W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂): "
                "again one layer. However deep, a network of linear layers can only draw a straight "
                "line (a hyperplane) through the data.",
                "Putting a non-linear f between the layers breaks the collapse: f(W₁x) cannot be folded into "
                "the next matrix, and a wide enough network of such layers can approximate any continuous "
                "function on a bounded region.",
                "The identity chain shows the collapse in numbers: with f(x) = x the gradient of L layers is "
                "just weightᴸ, the same at every input, the derivative of one linear map.",
            ),
            ("identity", "relu", "tanh"),
            ("values", "properties"),
            lambda: [
                _chain_ill("gradient of 10 identity layers, weight 0.9, at z = 0", "identity", 10, 0.0, 0.9),
                _chain_ill("… and at z = 3 (the same: a linear map)", "identity", 10, 3.0, 0.9),
                _chain_ill("tanh chain of 10 layers at z = 0.5 (depends on the input)", "tanh", 10, 0.5),
            ],
        ),
        Concept(
            "derivative-valve",
            "The derivative is the gradient's valve",
            "Backpropagation multiplies the incoming gradient by f′(z) at every unit: f′ decides how much passes.",
            (
                "For h = f(z), the chain rule gives ∂L/∂z = f′(z)·∂L/∂h. Wherever f′(z) is near 0 the unit "
                "passes almost no gradient back, whatever the loss says; where f′(z) = 1 it passes it unchanged.",
                "So the shape of f′ matters as much as the shape of f: its maximum bounds how much a layer can "
                "pass, and where it is zero the weights feeding the unit stop learning.",
            ),
            ("sigmoid", "tanh", "relu"),
            ("derivatives",),
            lambda: [
                _ill("σ′(0), the most a sigmoid ever passes", facts.derivative("sigmoid", 0.0), _get("sigmoid", "0")),
                _ill("tanh′(0)", facts.derivative("tanh", 0.0), _get("tanh", "0")),
                _ill("relu′(2)", facts.derivative("relu", 2.0), _get("relu", "-2,2")),
                _ill("relu′(−2)", facts.derivative("relu", -2.0), _get("relu", "-2,2")),
            ],
        ),
        Concept(
            "saturation",
            "Saturation",
            "A saturating activation flattens out for large |z|, and its derivative goes to 0 there.",
            (
                "Sigmoid and tanh approach their bounds exponentially fast: σ(5) is already 0.993 and "
                "σ′(5) only 0.0066. A unit whose pre-activation drifts into that region learns very slowly.",
                "ReLU saturates only on the left (f′ = 0 for z < 0); GELU, SiLU and Mish behave like it. "
                "The `saturates` property of every catalog entry says which sides do.",
            ),
            ("sigmoid", "tanh", "relu", "gelu"),
            ("saturation",),
            lambda: [
                _ill("σ′(5)", facts.derivative("sigmoid", 5.0), _get("sigmoid", "0,2,5,10")),
                _ill("σ′(10)", facts.derivative("sigmoid", 10.0), _get("sigmoid", "0,2,5,10")),
                _ill("tanh′(3)", facts.derivative("tanh", 3.0), _get("tanh", "3")),
                _ill("sigmoid saturates (left, right)", list(facts.props("sigmoid").saturates), _entry("sigmoid")),
                _ill("relu saturates (left, right)", list(facts.props("relu").saturates), _entry("relu")),
            ],
        ),
        Concept(
            "vanishing-exploding",
            "Vanishing and exploding gradients",
            "Through L layers the gradient is a product of L factors weight·f′(z): below 1 it vanishes, above 1 it explodes.",
            (
                "Each layer multiplies the gradient by weight·f′(z_l). With sigmoid the factor is at most "
                "0.25, so ten layers shrink it by at least 0.25¹⁰ ≈ 9.5e-7: the first layers barely learn.",
                "With factors above 1 the product grows geometrically instead. The service's verdict calls a "
                "chain vanishing below 1e-3 and exploding above 1e3 (POST /v1/chain); POST /v1/gradient-flow "
                "shows the same in a real random network.",
            ),
            ("sigmoid", "tanh", "relu"),
            ("vanishing-gradients",),
            lambda: [
                _chain_ill("10 sigmoid layers at z = 0", "sigmoid", 10, 0.0),
                _ill("0.25 ** 10", _sup("sigmoid") ** 10, _entry("sigmoid")),
                _chain_ill("20 identity layers with weight 1.5 (exploding)", "identity", 20, 0.0, 1.5),
                _ill(
                    "layers of sigmoid until the gradient is below 1e-6",
                    facts.depth_below("sigmoid", 1e-6),
                    _chain("sigmoid", 12),
                ),
            ],
        ),
        Concept(
            "dying-relu",
            "Dying ReLU",
            "A ReLU unit whose input stays negative outputs 0 and gets exactly 0 gradient: it can stop learning for good.",
            (
                "relu′(z) = 0 for every z < 0. If a large update or a negative bias pushes a unit's "
                "pre-activation below 0 for every training example, no gradient ever reaches its weights again.",
                "POST /v1/gradient-flow reports the `dead_fraction` of each layer: units whose output and "
                "derivative are 0 on the whole batch.",
            ),
            ("relu", "relu6", "leaky_relu"),
            ("dying-relu",),
            lambda: [
                _ill("relu′(−0.5)", facts.derivative("relu", -0.5), _get("relu", "-0.5")),
                _ill("relu can die (f′ = 0 on all negative inputs)", facts.can_die("relu"), _get("relu", "-3,-1,-0.1")),
                _ill("leaky_relu can die", facts.can_die("leaky_relu"), _get("leaky_relu", "-3,-1,-0.1")),
            ],
        ),
        Concept(
            "relu-variants",
            "Fixes for dying ReLU: leaky, parametric and smooth variants",
            "Leaky/parametric ReLU, ELU, GELU, SiLU and Mish keep a non-zero gradient for negative inputs.",
            (
                "Leaky ReLU gives negative inputs a small slope a (0.01 by default); PReLU learns a. ELU "
                "curves smoothly to −α, so its outputs average closer to 0.",
                "GELU (x·Φ(x)), SiLU (x·σ(x)) and Mish (x·tanh(softplus(x))) are smooth everywhere and dip "
                "slightly below 0 before rising: a small negative minimum, and a derivative that can exceed 1.",
            ),
            ("leaky_relu", "prelu", "elu", "gelu", "silu", "mish"),
            ("dying-relu", "derivatives"),
            lambda: [
                _ill("leaky_relu′(−1)", facts.derivative("leaky_relu", -1.0), _get("leaky_relu", "-1")),
                _ill("elu′(−1)", facts.derivative("elu", -1.0), _get("elu", "-1")),
                _ill("GELU minimum", facts.props("gelu").minimum.value, _entry("gelu")),
                _ill("SiLU minimum", facts.props("silu").minimum.value, _entry("silu")),
                _ill("Mish minimum", facts.props("mish").minimum.value, _entry("mish")),
                _ill("sup |GELU′|", facts.props("gelu").max_abs_derivative, _entry("gelu")),
            ],
        ),
        Concept(
            "output-activations",
            "Output activations",
            "Sigmoid for one probability, softmax for a categorical distribution, identity for regression.",
            (
                "Sigmoid maps a score to [0, 1]: one probability per output (binary or multi-label). "
                "Softmax maps a score vector to positive numbers that sum to 1: mutually exclusive classes.",
                "For an unbounded real-valued target the output stays linear (identity); a bounded or "
                "one-sided activation there would make some targets unreachable.",
            ),
            ("sigmoid", "softmax", "identity"),
            ("output-activations",),
            lambda: [
                _ill("sigmoid range", list(facts.props("sigmoid").range), _entry("sigmoid")),
                _ill(
                    "softmax is a distribution",
                    facts.is_distribution("softmax"),
                    {
                        "method": "POST",
                        "path": "/v1/evaluate",
                        "body": {"activation": "softmax", "x": [1, 2, 3], "order": 0},
                    },
                ),
                _ill("identity range", list(facts.props("identity").range), _entry("identity")),
            ],
        ),
        Concept(
            "initialisation",
            "Pairing initialisation with the activation",
            "He initialisation suits ReLU-like units, Xavier/Glorot suits tanh, LeCun suits SELU: each keeps the signal's scale through depth.",
            (
                "He (std √(2/fan_in)) compensates for ReLU zeroing half its inputs; Xavier (√(2/(fan_in + "
                "fan_out))) keeps the variance of tanh layers near their linear regime; LeCun (√(1/fan_in)) "
                "is what SELU's self-normalisation assumes.",
                "A mismatched scale shrinks (or blows up) the signal layer after layer, and the weight "
                "gradients with it: with a normal init of std 0.01 every gradient of a 20-layer ReLU "
                "network is ~1e-24. Sigmoid adds its own factor ≤ 0.25 per layer: even with Xavier the "
                "first layer's gradient is ~1e-13 of the last's.",
            ),
            ("relu", "tanh", "selu", "sigmoid"),
            ("vanishing-gradients",),
            lambda: [
                _ill(
                    "relu + he_normal: first layer's gradient norm",
                    _flow("relu", "he_normal").layers[0].grad_norm,
                    _flow_request("relu", "he_normal"),
                ),
                _ill(
                    "relu + normal(std 0.01): first layer's gradient norm",
                    _flow("relu", "normal", 0.01).layers[0].grad_norm,
                    _flow_request("relu", "normal", init_std=0.01),
                ),
                _ill(
                    "tanh + xavier_normal: gradient ratio first/last",
                    _flow("tanh", "xavier_normal").gradient_ratio,
                    _flow_request("tanh", "xavier_normal"),
                ),
                _ill(
                    "selu + lecun_normal: gradient ratio first/last",
                    _flow("selu", "lecun_normal").gradient_ratio,
                    _flow_request("selu", "lecun_normal"),
                ),
                _ill(
                    "sigmoid + xavier_normal: gradient ratio first/last",
                    _flow("sigmoid", "xavier_normal").gradient_ratio,
                    _flow_request("sigmoid", "xavier_normal"),
                ),
            ],
        ),
    )
}


@functools.cache
def illustrations(concept_id: str) -> list[dict]:
    return CONCEPTS[concept_id].illustrate()
