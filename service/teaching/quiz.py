"""Quiz questions whose answers come from the compute core, with stateless signed ids.

A question id is ``q2.<payload>.<signature>``: the payload names the generator, its
parameters and when the id expires (base64url JSON), the signature is an HMAC-SHA256 of it
with the service's quiz secret. Grading decodes the id, checks the signature and the expiry
and recomputes the answer, so any worker on any replica that shares the secret can grade any
question, and a client cannot make up a question (or an answer key) the service did not issue.

What a quiz bot and an LMS need, and what this gives them: ids expire (``ttl`` seconds,
rounded up to the hour so that the same request within the hour gives the same ids); a
per-deployment secret (required outside development, see ``service.config``); and the
expected answer only when the answer was right or the grader asks for it (``reveal``), so a
wrong attempt does not hand out the key. Grading is a stateless check, not a record: the same
id can be graded again, and attempts are counted by whoever asks (the bot or the LMS).
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

from ..core.errors import InvalidInput
from . import facts

NUMERIC, MULTIPLE_CHOICE, TRUE_FALSE = "numeric", "multiple_choice", "true_false"
DIFFICULTIES = ("easy", "medium", "hard")
VERSION = "q2"
HOUR = 3600


class QuizError(InvalidInput):
    """A bad id or answer (422); ``field`` names the request field."""


@dataclass(frozen=True)
class Question:
    id: str
    generator: str
    type: str
    topic: str
    difficulty: str
    title: str  # for a question bank: what is asked, never the answer
    text: str
    answer: float | str | bool
    tolerance: float | None = None  # numeric: |given − answer| ≤ tolerance is correct
    choices: tuple[str, ...] = ()
    explanation: str = ""
    activation: str | None = None  # the catalog activation the question is about, if one

    @property
    def value(self) -> float:
        """The answer of a numeric question."""
        return float(cast(float, self.answer))

    @property
    def margin(self) -> float:
        """The tolerance of a numeric question."""
        return float(cast(float, self.tolerance))

    def public(self, include_answer: bool) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "title": self.title,
            "text": self.text,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        if self.type == NUMERIC:
            out["tolerance"] = self.tolerance
        if include_answer:
            out["answer"] = self.answer
            out["explanation"] = self.explanation
        return out


@dataclass(frozen=True)
class Generator:
    """A kind of question. ``space(difficulty)`` lists every distinct question it asks at that
    level (as params); ``build`` writes one; ``title`` names it in a question bank."""

    name: str
    topic: str
    type: str
    difficulties: tuple[str, ...]
    space: Callable[[str], list[dict]]  # difficulty -> every params of that level
    build: Callable[[dict], dict]  # params -> text, answer, tolerance?, choices?, explanation
    title: Callable[[dict], str]


# Multiple-choice params name the right choice and the distractors; "o" only orders them, so a
# question is the same question whatever its "o" (its content key leaves "o" out).
ORDER = "o"


def content_key(generator: str, params: dict) -> bytes:
    """Equal for two questions with the same text, choices and answer (whatever their order)."""
    return orjson.dumps([generator, {k: v for k, v in params.items() if k != ORDER}], option=orjson.OPT_SORT_KEYS)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def _options(rng: random.Random, right: list[str], wrong: list[str], n: int = 4) -> tuple[str, list[str]]:
    """Ids issued before version 2.1 drew the choices from a seed: rebuilt the same way."""
    answer = _pick(rng, sorted(right))
    distractors = rng.sample(sorted(wrong), n - 1)
    choices = [answer, *distractors]
    rng.shuffle(choices)
    return answer, choices


def _choices(p: dict, right: list[str], wrong: list[str]) -> tuple[str, list[str]]:
    """The right choice and three distractors of a multiple-choice question, in its order."""
    if "s" in p:  # an id from before the enumerable spaces
        return _options(random.Random(p["s"]), right, wrong)
    if p["answer"] not in right or not set(p["others"]) <= set(wrong) or len(set(p["others"])) != 3:
        raise ValueError("not a question of this generator")
    choices = [p["answer"], *p["others"]]
    random.Random(p.get(ORDER, 0)).shuffle(choices)
    return p["answer"], choices


def _choice_space(right: list[str], wrong: list[str], **extra) -> list[dict]:
    """Every (right choice, set of 3 distractors)."""
    return [
        {**extra, "answer": a, "others": list(others)}
        for a in sorted(right)
        for others in itertools.combinations(sorted(wrong), 3)
    ]


# ----- generators -----------------------------------------------------------------------

_DERIV = {
    "easy": (("sigmoid", "tanh", "relu"), (-1.0, 0.0, 1.0, 2.0)),
    "medium": (("sigmoid", "tanh", "softplus", "elu", "leaky_relu", "silu"), (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)),
    "hard": (("gelu", "mish", "silu", "selu", "elish", "soft_sign"), (-2.5, -1.5, -0.75, 0.25, 1.5, 3.0)),
}


def _kink_free(name: str, xs) -> list[float]:
    """Points away from the kinks (where f′ is a convention, not a quiz answer)."""
    a = facts.CATALOG.get(name)
    kinks = a.non_differentiable_points(a.bind({}))
    return [x for x in xs if x not in kinks]


def _point_space(difficulty):
    names, xs = _DERIV[difficulty]
    return [{"a": name, "x": x} for name in names for x in _kink_free(name, xs)]


def _point_question(order: int):
    """f(x) (order 0) or f′(x) (order 1) at a point, by the core in float64."""
    mark, compute = ("′", facts.derivative) if order else ("", facts.value)
    how = " (automatic differentiation in float64)" if order else ""

    def build(p):
        v = compute(p["a"], p["x"])
        return {
            "text": f"What is f{mark}({_fmt(p['x'])}) for f = {p['a']}? Give 3 decimal places.",
            "answer": v,
            "tolerance": 0.0005,
            "explanation": f"{p['a']}{mark}({_fmt(p['x'])}) = {_fmt(v)}{how}.",
        }

    return build


_CHAIN = {"easy": ((2, 3), (0.0,)), "medium": ((5, 10), (0.0, 1.0)), "hard": ((10, 20, 30), (0.5, 1.0, 2.0))}


def _chain_space(difficulty):
    depths, zs = _CHAIN[difficulty]
    return [{"a": a, "depth": d, "z": z} for a in ("sigmoid", "tanh") for d in depths for z in zs]


def _build_chain(p):
    g = facts.chain_gradient(p["a"], p["depth"], p["z"])
    local = facts.derivative(p["a"], p["z"])
    return {
        "text": (
            f"A scalar chain applies {p['a']} {p['depth']} times, h_l = {p['a']}(h_(l−1)), "
            f"starting from h_0 = {_fmt(p['z'])} (weight 1, bias 0). What is dh_{p['depth']}/dh_0? "
            "Answer within 0.1 %."
        ),
        "answer": g,
        "tolerance": 1e-3 * abs(g),
        "explanation": (
            f"The chain rule multiplies the local derivatives of all {p['depth']} layers: "
            f"the first is {p['a']}′({_fmt(p['z'])}) = {_fmt(local)}, the product is {g:.6g}. "
            "Every factor below 1 shrinks the gradient: this is the vanishing gradient."
        ),
    }


_DEPTH = {
    "easy": (("sigmoid", 1.0),),
    "medium": (("sigmoid", 1.0), ("tanh", 0.5)),
    "hard": (("tanh", 0.8), ("silu", 1.0)),
}


def _depth_space(difficulty):
    return [{"a": name, "w": weight, "k": k} for name, weight in _DEPTH[difficulty] for k in (3, 6, 9)]


def _build_depth(p):
    n = facts.depth_below(p["a"], 10.0 ** -p["k"], 0.0, p["w"])
    return {
        "text": (
            f"Layers h_l = {p['a']}({_fmt(p['w'])}·h_(l−1)) start from h_0 = 0. After how many layers "
            f"does |dh_L/dh_0| first fall below 1e-{p['k']}?"
        ),
        "answer": float(n),
        "tolerance": 0.0,
        "explanation": (
            f"Each layer multiplies the gradient by {_fmt(p['w'])}·{p['a']}′(z_l) ≤ "
            f"{_fmt(abs(p['w']) * facts.props(p['a']).max_abs_derivative)}; the product first drops below "
            f"1e-{p['k']} at layer {n}."
        ),
    }


_MAX = {
    "easy": ("sigmoid", "tanh"),
    "medium": ("hard_sigmoid", "soft_sign", "silu", "arctan"),
    "hard": ("gelu", "mish", "elish", "cloglog"),
}


def _build_max(p):
    pr = facts.props(p["a"])
    at = pr.argmax_abs_derivative
    return {
        "text": f"What is the largest value of |f′(x)| over all real x for f = {p['a']}? Give 3 decimal places.",
        "answer": pr.max_abs_derivative,
        "tolerance": 0.0005,
        "explanation": (
            f"sup |{p['a']}′| = {_fmt(pr.max_abs_derivative)}"
            + (f", reached at x = {_fmt(at)}." if at is not None else ", approached as |x| grows.")
            + " Through L such layers a gradient can shrink by at least this factor per layer."
        ),
    }


_DIES = ("relu", "relu6", "squared_relu")
_LIVES = ("leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "elish")


def _dying() -> tuple[list[str], list[str]]:
    """(activations that can die, activations that cannot), as the core computes it."""
    pool = _DIES + _LIVES
    return [n for n in pool if facts.can_die(n)], [n for n in pool if not facts.can_die(n)]


def _build_can_die(p):
    answer, choices = _choices(p, *_dying())
    return {
        "text": "Which of these activations can 'die': its derivative is exactly 0 for every negative input, "
        "so a unit pushed there stops learning?",
        "answer": answer,
        "choices": tuple(choices),
        "explanation": f"{answer}′(x) = 0 for all x < 0 (checked on 400 negative inputs); the others keep a non-zero "
        "gradient there, which is why they are used as fixes for dying ReLU.",
    }


def _build_fix(p):
    dies, lives = _dying()
    answer, choices = _choices(p, lives, dies)
    return {
        "text": "A network's ReLU units are dying. Which replacement still passes a non-zero gradient for negative inputs?",
        "answer": answer,
        "choices": tuple(choices),
        "explanation": f"{answer}′(−1) = {_fmt(facts.derivative(answer, -1.0))} ≠ 0; the other choices have a derivative "
        "of exactly 0 for negative inputs.",
    }


_OUTPUT_POOL = ("sigmoid", "softmax", "identity", "tanh", "relu", "softplus", "log_softmax", "softmin", "leaky_relu")
_TASKS = {
    "binary": (
        "a binary classifier that outputs one probability",
        facts.is_probability,
        "it maps every score into [0, 1], read as P(class = 1)",
    ),
    "categorical": (
        "a classifier over 3 mutually exclusive classes",
        facts.is_distribution,
        "it maps the score vector to positive numbers that sum to 1 and keeps the scores' order",
    ),
    "regression": (
        "regression of an unbounded real-valued target",
        facts.is_linear,
        "it is f(x) = x: the output can take any real value and the loss sees the score unchanged",
    ),
}


def _fitting(task: str) -> tuple[list[str], list[str]]:
    """(output activations that fit the task, those that do not)."""
    test = _TASKS[task][1]
    return [n for n in _OUTPUT_POOL if test(n)], [n for n in _OUTPUT_POOL if not test(n)]


def _output_space(difficulty):
    return [q for task in sorted(_TASKS) for q in _choice_space(*_fitting(task), task=task)]


def _build_output(p):
    task, _, why = _TASKS[p["task"]]
    answer, choices = _choices(p, *_fitting(p["task"]))
    return {
        "text": f"Which output activation fits {task}?",
        "answer": answer,
        "choices": tuple(choices),
        "explanation": f"{answer}: {why}.",
    }


_CLAIMS = {
    "zero_centered": (
        "{a} is zero-centred (f(0) = 0 and its range is symmetric about 0).",
        lambda pr: pr.zero_centered,
    ),
    "monotonic": ("{a} is monotonic over the real line.", lambda pr: pr.monotonic),
    "saturates_both": ("{a} saturates on both sides (f′(x) → 0 as x → ±∞).", lambda pr: all(pr.saturates)),
    "bounded": ("{a} is bounded (its range is a finite interval).", lambda pr: None not in pr.range),
    "derivative_le_1": (
        "|{a}′(x)| ≤ 1 for every x.",
        lambda pr: pr.max_abs_derivative is not None and pr.max_abs_derivative <= 1 + 1e-12,
    ),
}
_CLAIM_POOL = {
    "easy": ("sigmoid", "tanh", "relu", "identity"),
    "medium": ("leaky_relu", "elu", "softplus", "soft_sign", "hard_tanh", "relu6"),
    "hard": ("gelu", "silu", "mish", "selu", "sine", "snake", "tanhshrink", "squareplus"),
}


def _build_claim(p):
    template, test = _CLAIMS[p["claim"]]
    pr = facts.props(p["a"])
    truth = bool(test(pr))
    lo, hi = pr.range
    show = lambda v: "unbounded" if v is None else _fmt(v)  # noqa: E731
    return {
        "text": "True or false: " + template.format(a=p["a"]),
        "answer": truth,
        "explanation": (
            f"{'True' if truth else 'False'}. Computed for {p['a']}: f(0) = {_fmt(pr.value_at_zero)}, range "
            f"[{show(lo)}, {show(hi)}], monotonic: {pr.monotonic}, saturates left/right: "
            f"{pr.saturates[0]}/{pr.saturates[1]}, sup |f′| = {show(pr.max_abs_derivative)}."
        ),
    }


def _claims(name: str, topic: str, claims: tuple[str, ...], title: str) -> Generator:
    """True/false statements about computed properties."""

    def space(difficulty):
        return [{"a": a, "claim": c} for a in _CLAIM_POOL[difficulty] for c in claims]

    return Generator(name, topic, TRUE_FALSE, DIFFICULTIES, space, _build_claim, lambda p: f"{title}: {p['a']}")


_TASK_TITLES = {"binary": "binary classification", "categorical": "3 classes", "regression": "regression"}


GENERATORS = {
    g.name: g
    for g in (
        Generator(
            "derivative",
            "derivatives",
            NUMERIC,
            DIFFICULTIES,
            _point_space,
            _point_question(1),
            lambda p: f"Derivative of {p['a']} at x = {_fmt(p['x'])}",
        ),
        Generator(
            "value",
            "values",
            NUMERIC,
            DIFFICULTIES,
            _point_space,
            _point_question(0),
            lambda p: f"Value of {p['a']} at x = {_fmt(p['x'])}",
        ),
        Generator(
            "chain_gradient",
            "vanishing-gradients",
            NUMERIC,
            DIFFICULTIES,
            _chain_space,
            _build_chain,
            lambda p: f"Gradient through {p['depth']} {p['a']} layers from {_fmt(p['z'])}",
        ),
        Generator(
            "vanishing_depth",
            "vanishing-gradients",
            NUMERIC,
            DIFFICULTIES,
            _depth_space,
            _build_depth,
            lambda p: f"Layers of {p['a']} until the gradient is below 1e-{p['k']}",
        ),
        Generator(
            "max_derivative",
            "saturation",
            NUMERIC,
            DIFFICULTIES,
            lambda d: [{"a": a} for a in _MAX[d]],
            _build_max,
            lambda p: f"Steepest slope of {p['a']}",
        ),
        Generator(
            "can_die",
            "dying-relu",
            MULTIPLE_CHOICE,
            ("easy", "medium"),
            lambda d: _choice_space(*_dying()),
            _build_can_die,
            lambda p: "Which activation can die?",
        ),
        Generator(
            "fix_dying",
            "dying-relu",
            MULTIPLE_CHOICE,
            ("medium", "hard"),
            lambda d: _choice_space(*reversed(_dying())),
            _build_fix,
            lambda p: "Fixing dying ReLU",
        ),
        Generator(
            "output_activation",
            "output-activations",
            MULTIPLE_CHOICE,
            DIFFICULTIES,
            _output_space,
            _build_output,
            lambda p: f"Output activation for {_TASK_TITLES[p['task']]}",
        ),
        _claims("claim", "properties", ("zero_centered", "monotonic", "bounded"), "Property of an activation"),
        _claims("saturation_claim", "saturation", ("saturates_both",), "Does it saturate?"),
        _claims("gradient_claim", "vanishing-gradients", ("derivative_le_1",), "Is its slope at most 1?"),
    )
}
TOPICS = tuple(sorted({g.topic for g in GENERATORS.values()}))


# ----- ids --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Quiz:
    """Generates and grades questions; ``secret`` signs the ids (share it across replicas)."""

    def __init__(self, secret: str | bytes, ttl: int = 7 * 24 * HOUR, clock: Callable[[], float] = time.time):
        self._key = secret.encode() if isinstance(secret, str) else secret
        self.ttl, self._clock = ttl, clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:18])

    def _expiry(self) -> int:
        """When ids issued now expire (0: never), rounded up to the hour."""
        return 0 if self.ttl <= 0 else -(-int(self._clock() + self.ttl) // HOUR) * HOUR

    def make(self, generator: str, difficulty: str, params: dict, expires: int | None = None) -> Question:
        g = GENERATORS[generator]
        expires = self._expiry() if expires is None else expires
        payload = _b64(orjson.dumps([generator, difficulty, params, expires], option=orjson.OPT_SORT_KEYS))
        qid = f"{VERSION}.{payload}.{self._sign(payload)}"
        built = g.build(params)
        return Question(
            id=qid,
            generator=generator,
            type=g.type,
            topic=g.topic,
            difficulty=difficulty,
            title=g.title(params),
            activation=params.get("a"),
            **built,
        )

    def question(self, qid: str) -> Question:
        """Decode and verify an id (QuizError on anything forged, tampered, expired or malformed)."""
        if not isinstance(qid, str) or len(qid) > 2000 or not qid.isascii():
            raise QuizError("Not a question id of this service (expected q2.<payload>.<signature>).", "id")
        parts = qid.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise QuizError("Not a question id of this service (expected q2.<payload>.<signature>).", "id")
        _, payload, signature = parts
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            raise QuizError("The id's signature does not match: it was altered or not issued by this service.", "id")
        try:
            generator, difficulty, params, expires = orjson.loads(_unb64(payload))
        except (ValueError, TypeError):  # signed, but not a payload this version writes
            raise QuizError("This question can no longer be rebuilt by this version of the service.", "id") from None
        if expires and self._clock() > expires:
            when = datetime.datetime.fromtimestamp(expires, datetime.UTC).isoformat(timespec="minutes")
            raise QuizError(f"This question id expired at {when}; ask for a new question.", "id")
        try:
            return self.make(generator, difficulty, params, expires)
        except Exception:  # noqa: BLE001 (a signed payload an older version wrote: any failure to rebuild it)
            raise QuizError("This question can no longer be rebuilt by this version of the service.", "id") from None

    def generate(self, count: int, seed: int, topics=None, difficulty: str | None = None) -> list[Question]:
        """``count`` distinct questions (no two with the same text, choices and answer), the
        same for the same arguments; each step picks a kind of question at random among those
        with questions left, then one of its questions. A QuizError names ``count`` when the
        topics and difficulty hold fewer distinct questions (:func:`pool`)."""
        remaining = pool(topics, difficulty)
        available = sum(len(v) for v in remaining.values())
        if count > available:
            raise QuizError(
                f"Only {available} distinct questions match these topics and difficulty: ask for at most "
                f"{available}, or widen the topics or difficulty.",
                "count",
            )
        rng = random.Random(seed)
        out = []
        for _ in range(count):
            name = _pick(rng, [n for n in sorted(remaining) if remaining[n]])
            params, levels = remaining[name].pop(rng.randrange(len(remaining[name])))
            level = _pick(rng, levels)
            if GENERATORS[name].type == MULTIPLE_CHOICE:
                params = {**params, ORDER: rng.randrange(1 << 30)}
            out.append(self.make(name, level, params))
        return out

    def grade(self, qid: str, answer, reveal: bool = False) -> dict:
        """Grade one answer; ``expected`` and ``explanation`` only when right or ``reveal``."""
        q = self.question(qid)
        if q.type == NUMERIC:
            if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not _finite(answer):
                raise QuizError("This is a numeric question: answer with a finite number.", "answer")
            correct = within(float(answer), q.value, q.margin)
        elif q.type == MULTIPLE_CHOICE:
            if isinstance(answer, int) and not isinstance(answer, bool):
                if not 0 <= answer < len(q.choices):
                    raise QuizError(f"A choice index must be between 0 and {len(q.choices) - 1}.", "answer")
                answer = q.choices[answer]
            if not isinstance(answer, str) or answer.strip().lower() not in [c.lower() for c in q.choices]:
                raise QuizError(f"Answer with one of the choices: {', '.join(q.choices)} (or its index).", "answer")
            correct = answer.strip().lower() == str(q.answer).lower()
        else:
            if isinstance(answer, str) and answer.strip().lower() in ("true", "false", "t", "f"):
                answer = answer.strip().lower() in ("true", "t")
            if not isinstance(answer, bool):
                raise QuizError("This is a true/false question: answer with true or false.", "answer")
            correct = answer == q.answer
        shown = bool(correct) or reveal
        return {
            "id": q.id,
            "type": q.type,
            "correct": bool(correct),
            "answer": answer,
            "revealed": shown,
            "expected": q.answer if shown else None,
            "tolerance": q.tolerance,
            "explanation": q.explanation if shown else None,
        }


def pool(topics=None, difficulty: str | None = None) -> dict[str, list[tuple[dict, list[str]]]]:
    """The distinct questions the topics and difficulty hold: per generator, each question's
    params with the levels it is asked at (a question of two levels is one question). A fresh
    copy of a table built once per (topics, difficulty): the caller may draw from it."""
    return {name: list(found) for name, found in _pool(tuple(sorted(topics or ())), difficulty).items()}


def available(topics=None, difficulty: str | None = None) -> int:
    """How many distinct questions the topics and difficulty hold."""
    return sum(len(found) for found in _pool(tuple(sorted(topics or ())), difficulty).values())


@functools.lru_cache(maxsize=64)
def _pool(topics: tuple[str, ...], difficulty: str | None) -> dict[str, tuple[tuple[dict, list[str]], ...]]:
    out: dict[str, tuple[tuple[dict, list[str]], ...]] = {}
    for g in GENERATORS.values():
        if (topics and g.topic not in topics) or (difficulty is not None and difficulty not in g.difficulties):
            continue
        found: dict[bytes, tuple[dict, list[str]]] = {}
        for level in (difficulty,) if difficulty else g.difficulties:
            for params in g.space(level):
                found.setdefault(content_key(g.name, params), (params, []))[1].append(level)
        out[g.name] = tuple(found[k] for k in sorted(found))
    return out


def build_every_question() -> int:
    """Build each distinct question of the table once (what they evaluate, survey and compile
    is then cached in this process: a worker's first quiz export of 50 questions took 2–3 s
    from an empty compilation cache). Returns how many were built."""
    built = 0
    for name, found in _pool((), None).items():
        for params, _ in found:
            GENERATORS[name].build(params)
            built += 1
    return built


def within(given: float, expected: float, tolerance: float) -> bool:
    """|given − expected| ≤ tolerance, the ends included as an LMS includes them: a few ulps of
    slack, so that 0.063 for 0.0625 ± 0.0005 (a difference of 0.0005000000000000004 in binary)
    is right, as a person and every importer of the exported tolerance count it."""
    return abs(given - expected) <= tolerance + 8 * math.ulp(max(abs(given), abs(expected), tolerance))


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past float64
        return False
