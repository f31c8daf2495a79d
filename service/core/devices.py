"""Device selection: ``auto`` prefers a GPU when JAX sees one, ``cpu``/``gpu`` are explicit."""

from __future__ import annotations

import functools

import jax

from .errors import DeviceUnavailable

DEVICE_CHOICES = ("auto", "cpu", "gpu")


@functools.cache
def gpu_devices() -> tuple:
    """The GPUs JAX can use in this process (empty on a CPU-only install)."""
    try:
        return tuple(jax.devices("gpu"))
    except RuntimeError:
        return ()


@functools.cache  # a process's devices do not change; a request asks on every call
def select(device: str = "auto") -> jax.Device:
    """Return the JAX device for ``auto``, ``cpu`` or ``gpu``; raise if a GPU is missing."""
    if device == "cpu":
        return jax.devices("cpu")[0]
    gpus = gpu_devices()
    if device == "gpu":
        if not gpus:
            raise DeviceUnavailable(
                "device 'gpu' was requested but JAX sees no GPU in this process "
                "(install the CUDA build of jaxlib on a GPU host, or use 'auto' or 'cpu')",
                "device",
            )
        return gpus[0]
    if device == "auto":
        return gpus[0] if gpus else jax.devices("cpu")[0]
    raise DeviceUnavailable(f"unknown device '{device}'", "device")


@functools.cache
def label(device: jax.Device) -> str:
    """A short name such as ``cpu:0`` or ``gpu:0``."""
    platform = "gpu" if device.platform in ("gpu", "cuda", "rocm") else device.platform
    return f"{platform}:{device.id}"


def describe() -> dict:
    """What this process can compute on."""
    return {
        "default": label(select("auto")),
        "available": [label(d) for d in (*gpu_devices(), *jax.devices("cpu"))],
        "gpu_available": bool(gpu_devices()),
    }
