"""Counter-based standard normals: draw k of step t of a run is a pure function of (seed, t, k).

A run's noise comes only from its seed (invariant 2), with no generator object to build: the
seed is mixed into a 64-bit key, the counter ``t * width + k`` (paired) is added to the key
times the golden-ratio Weyl increment and mixed again with the SplitMix64 finaliser (Steele,
Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014); the hash's two
32-bit halves are two uniforms, which the Box-Muller transform (in single precision: the noise
needs no more) turns into two normals. Both drivers draw the same numbers
for the same (seed, step) whatever the batch, chunk or worker.
"""

from __future__ import annotations

import math

import numpy as np
from numba import float64, int64, njit, uint64, void

from simulation.rules.compiling import RULE, CompiledCopies

GAMMA = _GAMMA = np.uint64(0x9E3779B97F4A7C15)  # the golden-ratio increment
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO = np.uint64(2)

#: Compiled as the rules are (compiling.RULE): each function on its own, inlined by LLVM, without
#: reference counting, without the GIL.
_COMPILE = RULE
#: The entry points Python calls (run_key, fill_normals) and the copies compiled code calls (compiling.py).
COMPILED = CompiledCopies()


@njit(**_COMPILE)
def mix64(x):
    """The SplitMix64 finaliser: a bijective avalanche of 64 bits."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@COMPILED.entry(_COMPILE)
def run_key(seed):
    """The 64-bit key of a run's stream (seed: a non-negative int64)."""
    return mix64(np.uint64(seed) * _GAMMA + _GAMMA)


_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = np.float32(1.0 / 4294967296.0)
_HALF = np.float32(0.5)
_TWO_PI = np.float32(2.0 * math.pi)
_MINUS_TWO = np.float32(-2.0)


@njit(**_COMPILE)
def _normal_pair(key, pair):
    """Two standard normals from one 64-bit hash of (key, pair): Box-Muller on two 32-bit uniforms."""
    bits = mix64(key + (pair + _ONE) * _GAMMA)
    u1 = (np.float32(bits >> _S32) + _HALF) * _INV32
    u2 = (np.float32(bits & _LOW32) + _HALF) * _INV32
    radius = math.sqrt(_MINUS_TWO * math.log(u1))
    angle = _TWO_PI * u2
    return np.float64(radius * math.cos(angle)), np.float64(radius * math.sin(angle))


# One signature, with an unsigned key: from Python a key under 2**63 arrives as an int64 and converts;
# without it numba compiled an int64 version first and then refused keys of 2**63 or more (half of all).
@COMPILED.entry(_COMPILE, void(uint64, int64, float64[:]))
def fill_normals(key, step, out):
    """Standard normals number ``step * len(out) + k`` of the run's stream, into ``out``.

    Draws 2m and 2m + 1 are the two normals of pair m; a month whose first draw is odd starts
    with the second normal of a pair (and one that ends on an even draw ends with a first).
    """
    key = np.uint64(key)  # a key passed from Python may arrive as int64: keep the arithmetic unsigned
    width = out.shape[0]
    if width == 0:
        return
    first = np.uint64(step) * np.uint64(width)
    k = 0
    if first % _TWO == 1:
        out[0] = _normal_pair(key, first // _TWO)[1]
        k = 1
    pair = (first + np.uint64(k)) // _TWO
    for m in range((width - k) // 2):
        c, s = _normal_pair(key, pair + np.uint64(m))
        out[k + 2 * m] = c
        out[k + 2 * m + 1] = s
    if (width - k) % 2 == 1:
        out[width - 1] = _normal_pair(key, pair + np.uint64((width - k) // 2))[0]


#: The stream as compiled code calls it (compiling.CompiledCopies: ``COMPILED.inner``, no Python wrappers).
COMPILED.bind(globals(), inner={name: _COMPILE for name in ("mix64", "run_key", "_normal_pair", "fill_normals")})
