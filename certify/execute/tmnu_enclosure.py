"""TMNU-level execution for bounds, in one import: the x-independent control path
(:mod:`certify.execute.tmnu_path`), the registers replayed exactly for one x or in float64 for many
sampled x (:mod:`certify.execute.tmnu_registers`), and rigorous affine-in-x enclosures over many
x-subintervals at once (:mod:`certify.execute.tmnu_forms`). All three apply ops through the core,
:mod:`certify.tmnu.core`; the float64 rounding helpers are :mod:`certify.execute.rounding`.

>>> from certify.constructions.examples import squaring
>>> from certify.rational import parse_number as q
>>> p = squaring()
>>> path = control_path(p, steps=6)
>>> [p.ops[i].name for i in path.ops]
['load', 'tooth', 'tooth', 'tooth', 'tooth', 'tooth']
>>> str(exact_outputs(p, path, q("3/4"), [4])[4])
'9/16'
>>> enc = enclose_outputs(p, path, Lanes.uniform(64), [4, 6])
>>> float(enc[4].r.max()), float(enc[6].r.max())  # exact while each lane lies in one linear piece
(0.0, 0.0)
"""

from __future__ import annotations

from certify.execute.rounding import add_down, add_up, mul_up, two_sum
from certify.execute.tmnu_forms import Form, FormArithmetic, Lanes, enclose_outputs, enclose_registers, relu_form
from certify.execute.tmnu_path import MAX_PATH_STEPS, ControlPath, control_path, replay
from certify.execute.tmnu_registers import (
    FloatArithmetic,
    exact_outputs,
    exact_registers,
    sample_outputs,
    sample_registers,
)
from certify.tmnu.core import IndexedOp

__all__ = [
    "MAX_PATH_STEPS", "ControlPath", "Form", "FormArithmetic", "FloatArithmetic", "IndexedOp", "Lanes",
    "add_down", "add_up", "control_path", "enclose_outputs", "enclose_registers", "exact_outputs",
    "exact_registers", "mul_up", "relu_form", "replay", "sample_outputs", "sample_registers", "two_sum",
]
