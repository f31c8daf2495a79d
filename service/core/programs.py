"""The compiled programs of this process: one bounded LRU over every XLA executable the core
builds, and the size of a program, measured before it is compiled.

Each entry is one executable, compiled ahead of time for one input signature (shapes,
dtypes, device) — evaluate, chain, product and gradient-flow programs alike — and counts
with its estimated memory, :func:`estimated_mb`: ``max_compiled_mb`` bounds what a worker
holds in compiled code, and an evicted program's memory goes with it. JAX's own tracing caches
hang off the functions built per entry and go with them too.

A program's size is counted in operations: the equations of its traced program (after
``grad`` has been applied and dead code removed), each primitive that XLA expands weighted by the instructions it
expands into (``erfc``: ~180). Compile time grows with it (about 0.2–0.5 ms per operation
here). A custom formula's size is checked against ``max_formula_size`` before anything is
compiled, so a formula that would take minutes to compile is refused in the time it takes to
trace it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import jax
from jax.extend.core import ClosedJaxpr, Jaxpr

# HLO instructions a primitive expands into, where that is far more than one (float64).
EXPANDED = {"erfc": 180}


def _live(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` without the operations no output depends on (XLA drops them before it compiles:
    a nested jvp computes f′ twice and keeps one). JAX's own dead-code pass; the program as
    traced where a JAX version lacks it."""
    try:
        from jax._src.interpreters.partial_eval import dce_jaxpr
    except ImportError:  # pragma: no cover - a JAX without the pass: count every operation
        return jaxpr
    return dce_jaxpr(jaxpr, [True] * len(jaxpr.outvars))[0]


def jaxpr_size(jaxpr: Jaxpr) -> int:
    """Operations of a traced program that reach its outputs, sub-programs (scan bodies,
    custom rules) included."""
    total, stack = 0, [_live(jaxpr)]
    while stack:
        for eqn in stack.pop().eqns:
            total += EXPANDED.get(eqn.primitive.name, 1)
            for value in eqn.params.values():
                for sub in value if isinstance(value, (list, tuple)) else (value,):
                    if isinstance(sub, ClosedJaxpr):
                        stack.append(sub.jaxpr)
                    elif isinstance(sub, Jaxpr):
                        stack.append(sub)
    return total


def persist(directory: str, max_mb: int) -> str | None:
    """Keep compiled executables in ``directory`` as well (JAX's persistent compilation cache,
    at most ``max_mb`` on disk, least recently used dropped; JAX scans every entry under a lock
    shared by the workers on each write, so keep it small): the workers of one host share it,
    and a restarted or recycled worker loads a program instead of compiling it again (gelu's
    chain: ~1 s → ~0.4 s on first use). The directory is created private (0700); a symbolic link (it
    could be re-pointed after this check), one that another user owns or others may write, or
    one this process cannot write is refused (an executable planted there would run
    in this process): the reason is returned, None when the cache is on. Call before the
    first compilation of the process."""
    path = os.path.abspath(directory)
    if max_mb <= 0:
        return "ACTFN_COMPILATION_CACHE_MB is 0 or less"
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        status = os.lstat(path)  # the link itself: a symlink could be re-pointed after this check
    except OSError as e:
        return f"cannot use {path}: {e.strerror}"
    if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode):
        return f"{path} is a symbolic link or not a directory"
    if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is not private to this user (owner {status.st_uid}, mode {stat.S_IMODE(status.st_mode):o})"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # most compile in 0.05–1 s
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_compilation_cache_max_size", max_mb * 2**20)
    try:  # JAX decides whether to use its cache at the first compilation (importing the
        # catalog compiles a few constants): let it decide again with the directory set.
        from jax._src.compilation_cache import reset_cache
    except ImportError:  # pragma: no cover - a JAX without it decides at the next process
        return None
    reset_cache()
    return None


def hlo_size(lowered: jax.stages.Lowered) -> int:
    """HLO instructions of a lowered program (every computation, bodies of loops included)."""
    ir = lowered.compiler_ir("hlo")
    assert ir is not None  # the CPU and GPU backends always have it
    text = ir.as_hlo_text()
    return sum(1 for line in text.splitlines() if " = " in line)


def estimated_mb(size: int) -> float:
    """Resident memory of a compiled program of ``size`` HLO instructions: a fixed cost per
    executable and one per instruction (fitted on this CPU build: a formula's evaluate
    program ~0.35 MB, a gradient-flow program of ~1,900 instructions ~10 MB)."""
    return 0.3 + 0.005 * size


@dataclass(frozen=True)
class Program:
    """One compiled executable, the size it was compiled from and its estimated memory."""

    run: Callable
    size: int
    mb: float


class ProgramCache:
    """LRU of compiled programs, keyed by everything that decides the executable and bounded
    by their estimated memory (the newest program is always kept)."""

    def __init__(self, max_mb: float = 128.0):
        self.max_mb = max_mb
        self._entries: OrderedDict[Hashable, Program] = OrderedDict()
        self._lock = threading.Lock()
        self.total_mb = 0.0
        self.compilations = self.evictions = 0

    def get(
        self,
        key: Hashable,
        build: Callable[[], Any],
        specs: Callable[[], tuple],
        compiler_options: dict | None = None,
    ) -> Program:
        """The program for ``key``, compiled on first use from ``build()`` (a ``jax.jit``
        function) for the arguments ``specs()`` describes (shapes, dtypes, device), with XLA's
        ``compiler_options`` if given. Neither is called when the program is cached: a
        request's path does not build them."""
        with self._lock:
            program = self._entries.get(key)
            if program is not None:
                self._entries.move_to_end(key)
                return program
        lowered = build().trace(*specs()).lower()
        size = hlo_size(lowered)
        program = Program(lowered.compile(compiler_options), size, estimated_mb(size))
        with self._lock:
            self.compilations += 1
            old = self._entries.pop(key, None)
            self.total_mb -= old.mb if old else 0.0
            self._entries[key] = program
            self.total_mb += program.mb
            self._evict()
        return program

    def _evict(self) -> None:
        while self.total_mb > self.max_mb and len(self._entries) > 1:
            _, program = self._entries.popitem(last=False)
            self.total_mb -= program.mb
            self.evictions += 1

    def resize(self, max_mb: float) -> None:
        with self._lock:
            self.max_mb = max_mb
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total_mb = 0.0

    @contextlib.contextmanager
    def transient(self) -> Iterator[None]:
        """Programs compiled inside are dropped at the end (those cached before stay): for work
        whose results are kept elsewhere, so that executables used once do not hold memory
        (~3–4 MB for a gradient flow's). The persistent compilation cache still holds them.
        Programs other threads compile meanwhile are dropped too (compiled again when used)."""
        with self._lock:
            before = set(self._entries)
        try:
            yield
        finally:
            with self._lock:
                for key in [k for k in self._entries if k not in before]:
                    self.total_mb -= self._entries.pop(key).mb

    def __len__(self) -> int:
        return len(self._entries)


PROGRAMS = ProgramCache()


class SizeCache:
    """Sizes measured for an object (a formula's Activation), dropped with the object."""

    def __init__(self) -> None:
        self._sizes: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, owner: Any, key: Hashable, measure: Callable[[], int]) -> int:
        with self._lock:
            known = self._sizes.get(owner, {}).get(key)
        if known is not None:
            return known
        size = measure()
        with self._lock:
            self._sizes.setdefault(owner, {})[key] = size
        return size
