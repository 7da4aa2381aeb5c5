"""Array backends for the rigorous interval executor: NumPy (default), CuPy (GPU), array-api-strict (tests).

The executor is written against the array API standard (``backend.xp``); NumPy and CuPy also get a
fused, in-place fast path (``backend.native``) that must agree bit for bit with the standard path.

Rigour rests on round-to-nearest float64 with gradual underflow and a conventional GEMM
(docs: ``research/rigorous-numerics.md`` §1). :func:`get_backend` therefore runs a self-check on
every backend before its first use and **fails closed** (:class:`UnsafeFloatEnvironment`) when
subnormals are flushed to zero (FTZ/DAZ), when a GEMM is not float64-accurate (FP64 emulation,
TF32-like reduced precision), or when a GPU library is configured for emulated math.

>>> be = get_backend("numpy")
>>> be.name, be.native is not None
('numpy', True)
>>> float(be.to_numpy(be.xp.matmul(be.asarray([[2.0**-1022]]), be.asarray([[0.25]])))[0, 0]) == 2.0**-1024
True
>>> get_backend("fortran")
Traceback (most recent call last):
...
certify.errors.InputError: --backend=fortran is not a float64 interval backend (known: numpy, cupy, array_api_strict)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from certify.errors import CertifyError, InputError

#: Float64 backends the interval executor knows; ``exact`` and ``arb`` are separate paths.
FLOAT_BACKENDS = ("numpy", "cupy", "array_api_strict")

#: Environment variables that switch NVIDIA libraries to emulated or reduced-precision math.
_GPU_ENV_GUARDS = ("NVIDIA_TF32_OVERRIDE", "CUBLAS_EMULATION_STRATEGY", "CUBLAS_EMULATE_DOUBLE_PRECISION",
                   "CUBLAS_DEFAULT_MATH_MODE")


class UnsafeFloatEnvironment(CertifyError):
    """The float64 environment breaks an assumption of the rigorous step; nothing is computed."""


@dataclass(frozen=True)
class Backend:
    """An array namespace plus how to move host (NumPy) arrays in and out of it.

    ``native`` is the NumPy or CuPy module for the fused in-place kernels, or ``None`` (array-api-strict),
    in which case only standard array-API calls are used.
    """

    name: str
    xp: Any
    native: Any
    device: Any

    def asarray(self, a: Any) -> Any:
        """A float64 array on this backend from host data (exact: float64 to float64)."""
        host = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
        if self.name == "array_api_strict":
            return self.xp.asarray(host, dtype=self.xp.float64, device=self.device)
        return self.native.asarray(host)

    def to_numpy(self, a: Any) -> np.ndarray:
        """A host copy (NumPy) of an array of this backend."""
        if self.name == "cupy":
            return self.native.asnumpy(a)
        if self.name == "array_api_strict":
            return np.from_dlpack(a).copy()
        return np.asarray(a)

    def synchronize(self) -> None:
        """Wait for queued device work (a no-op on the CPU); for honest timings."""
        if self.name == "cupy":
            self.native.cuda.Device().synchronize()


def _numpy_backend() -> Backend:
    import array_api_compat.numpy as xp

    return Backend("numpy", xp, np, "cpu")


def _strict_backend() -> Backend:
    try:
        import array_api_strict as xp
    except ImportError as e:  # pragma: no cover - a test extra
        raise InputError("--backend=array_api_strict needs the array-api-strict package") from e
    return Backend("array_api_strict", xp, None, xp.Device("CPU_DEVICE"))


def _cupy_backend() -> Backend:
    try:
        import cupy
    except ImportError as e:
        raise InputError("--backend=cupy needs CuPy and a CUDA GPU: pip install 'certify[gpu]'") from e
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise InputError("--backend=cupy: CuPy is installed but no CUDA GPU is visible")
    except cupy.cuda.runtime.CUDARuntimeError as e:
        raise InputError(f"--backend=cupy: no usable CUDA GPU ({e})") from e
    import array_api_compat.cupy as xp

    return Backend("cupy", xp, cupy, cupy.cuda.Device())


def cupy_available() -> bool:
    """True when CuPy imports and sees a GPU (tests use it to skip cleanly)."""
    try:
        _cupy_backend()
    except InputError:
        return False
    return True


@cache
def get_backend(name: str = "numpy") -> Backend:
    """The named backend, after its self-check passed (cached per process)."""
    makers = {"numpy": _numpy_backend, "cupy": _cupy_backend, "array_api_strict": _strict_backend}
    if name not in makers:
        raise InputError(f"--backend={name} is not a float64 interval backend (known: {', '.join(FLOAT_BACKENDS)})")
    backend = makers[name]()
    check_host_floats()
    if name == "cupy":
        check_gpu_math_mode(backend)
    self_check(backend)
    return backend


def check_host_floats() -> None:
    """Fail closed when the host FPU flushes subnormals (FTZ/DAZ, e.g. a library built with -ffast-math).

    >>> check_host_floats()
    """
    tiny = 2.0**-1022
    if not (0.25 * tiny != 0.0 and tiny * 0.5 > 0.0 and float(np.finfo(np.float64).smallest_subnormal) != 0.0):
        raise UnsafeFloatEnvironment(
            "subnormal float64 numbers are flushed to zero in this process (FTZ/DAZ is on, often set by a "
            "library built with -ffast-math); the rigorous interval step relies on gradual underflow and "
            "refuses to run. Use --backend exact or arb, or run without that library."
        )
    a = np.array([tiny, 3 * tiny])
    if not (np.multiply(a, 0.25)[0] == 2.0**-1024 and np.matmul(a[None, :], np.array([[0.25], [0.0]]))[0, 0] != 0):
        raise UnsafeFloatEnvironment("NumPy flushes subnormal float64 results to zero (FTZ/DAZ); refusing to run")


def check_gpu_math_mode(backend: Backend) -> None:
    """Refuse TF32/emulated math settings on a GPU (env variables and the cuBLAS handle's math mode)."""
    set_vars = [v for v in os.environ if v in _GPU_ENV_GUARDS or ("EMULAT" in v and v.startswith(("CUBLAS", "CUDA")))]
    if set_vars:
        raise UnsafeFloatEnvironment(
            f"GPU math-mode environment variables are set ({', '.join(sorted(set_vars))}); they can switch "
            "cuBLAS to emulated or reduced-precision math, which the float64 bounds do not cover: unset them"
        )
    cupy = backend.native
    try:
        handle = cupy.cuda.device.get_cublas_handle()
        mode = int(cupy.cuda.cublas.getMathMode(handle))
    except (AttributeError, RuntimeError):  # pragma: no cover - old CuPy: the numeric probes still run
        return
    # CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2; anything else (tensor-op/TF32/emulation bits) is refused.
    if mode not in (0, 2):
        raise UnsafeFloatEnvironment(f"the cuBLAS math mode is {mode}, not the default (0) or pedantic (2); refusing")


def _probes() -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Small GEMMs with exactly known float64 results that reduced or emulated precision gets wrong."""
    e = 2.0**-1022
    return [
        # subnormal products and sums (FTZ/DAZ inside the GEMM kernel)
        (np.array([[e, e]]), np.array([[0.25], [0.5]]), 0.75 * e),
        # wide dynamic range inside one dot product (fixed-point / Ozaki-style FP64 emulation)
        (np.array([[2.0**200, 2.0**-200]]), np.array([[2.0**-200], [2.0**200]]), 2.0),
        # a 53-bit product (TF32 / bf16 / fp32 inputs would round it to 1)
        (np.array([[1 + 2.0**-52]]), np.array([[1 + 2.0**-52]]), 1 + 2.0**-51),
    ]


def self_check(backend: Backend) -> None:
    """Run the probes on ``backend`` (elementwise and GEMM); raise :class:`UnsafeFloatEnvironment` on a miss."""
    xp = backend.xp
    for a, b, want in _probes():
        k = a.shape[1]
        # pad to a realistic GEMM shape so that the library takes its real code path
        big_a = np.zeros((64, max(k, 64)))
        big_a[0, :k] = a[0]
        big_b = np.zeros((max(k, 64), 64))
        big_b[:k, 0] = b[:, 0]
        got = backend.to_numpy(xp.matmul(backend.asarray(big_a), backend.asarray(big_b)))[0, 0]
        if got != want:
            raise UnsafeFloatEnvironment(
                f"the {backend.name} GEMM is not IEEE float64 round-to-nearest with gradual underflow "
                f"(probe gave {got!r}, exact float64 answer {want!r}); refusing to compute enclosures"
            )
    tiny = backend.asarray([2.0**-1022, 2.0**-1074])
    got = backend.to_numpy(tiny * 0.5)
    if not (got[0] == 2.0**-1023 and got[1] == 0.0) or backend.to_numpy(tiny * 1.0)[1] != 2.0**-1074:
        raise UnsafeFloatEnvironment(f"{backend.name} flushes subnormal float64 values (FTZ/DAZ); refusing to run")
