"""The activations a layer may name, and their exact values where they have them.

==========  =========================  =========================================
name        σ(z)                       exact (rational in, rational out)
==========  =========================  =========================================
relu        max(z, 0)                  yes (piecewise linear)
hardtanh    min(max(z, −1), 1)         yes (piecewise linear)
satlin      min(max(z, 0), 1)          yes (piecewise linear)
identity    z                          yes (linear)
tanh        tanh z                     no: rigorous in the ball engines only
sigmoid     1 / (1 + e^(−z))           no: rigorous in the ball engines only
==========  =========================  =========================================

Every piecewise-linear activation is a sum of ReLUs of affine functions of z plus an affine
function of z (:data:`RELU_FORM`), which is how the SMT encodings and the symbolic composition
treat them.

>>> [str(exact("hardtanh", fmpq(v))) for v in (-3, "1/2", 2)]
['-1', '1/2', '1']
>>> [str(exact("satlin", fmpq(v))) for v in (-3, "1/2", 2)]
['0', '1/2', '1']
>>> exact("tanh", fmpq(1))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
certify.spec.activation.NotExact: the activation tanh has no exact rational values: ...
"""

from __future__ import annotations

from flint import fmpq

from certify.errors import InputError

ZERO, ONE = fmpq(0), fmpq(1)

#: Every activation a file may name.
ACTIVATIONS = ("relu", "hardtanh", "satlin", "identity", "tanh", "sigmoid")
#: The piecewise-linear ones: exact in every engine.
PIECEWISE_LINEAR = ("relu", "hardtanh", "satlin", "identity")
#: σ(z) = Σ c·relu(z − k) + (a·z + d), as ((c, k), …), a, d: the ReLU form of each piecewise-linear activation.
RELU_FORM: dict[str, tuple[tuple[tuple[int, int], ...], int, int]] = {
    "relu": (((1, 0),), 0, 0),
    "hardtanh": (((1, -1), (-1, 1)), 0, -1),   # relu(z+1) − relu(z−1) − 1
    "satlin": (((1, 0), (-1, 1)), 0, 0),        # relu(z) − relu(z−1)
    "identity": ((), 1, 0),
}
#: The range of each activation (None: unbounded on that side).
RANGE: dict[str, tuple[fmpq | None, fmpq | None]] = {
    "relu": (ZERO, None), "hardtanh": (-ONE, ONE), "satlin": (ZERO, ONE), "identity": (None, None),
    "tanh": (-ONE, ONE), "sigmoid": (ZERO, ONE),
}


class NotExact(InputError):
    """An exact computation was asked of an activation with irrational values."""


def check(name: str, where: str = "activation") -> str:
    """``name`` when it is a known activation, else an error naming it and the known ones."""
    if name not in ACTIVATIONS:
        raise InputError(f"{where}={name!r} is not supported (known: {', '.join(ACTIVATIONS)})")
    return name


def is_piecewise_linear(name: str) -> bool:
    return name in PIECEWISE_LINEAR


def exact(name: str, z: fmpq) -> fmpq:
    """σ(z) exactly; :class:`NotExact` for tanh and sigmoid."""
    if name == "relu":
        return z if z > 0 else ZERO
    if name == "identity":
        return z
    if name == "hardtanh":
        return -ONE if z < -1 else ONE if z > 1 else z
    if name == "satlin":
        return ZERO if z < 0 else ONE if z > 1 else z
    raise NotExact(f"the activation {name} has no exact rational values: run it in the ball engines "
                   "(certify run --backend arb, or --backend numpy), not --exact")


def relu_form_value(name: str, z: fmpq) -> fmpq:
    """σ(z) evaluated through :data:`RELU_FORM` (tested equal to :func:`exact`).

    >>> all(relu_form_value(a, fmpq(v, 4)) == exact(a, fmpq(v, 4)) for a in PIECEWISE_LINEAR for v in range(-9, 10))
    True
    """
    terms, a, d = RELU_FORM[name]
    return sum((c * exact("relu", z - k) for c, k in terms), a * z + d)
