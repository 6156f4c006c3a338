"""Counter-based standard normals: draw k of step t of a run is a pure function of (seed, t, k).

A run's noise comes only from its seed (invariant 2), with no generator object to build: the
seed is mixed into a 64-bit key, the counter ``t * width + k`` (paired) is added to the key
times the golden-ratio Weyl increment and mixed again with the SplitMix64 finaliser (Steele,
Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), and each pair of
uniforms becomes two normals by the Box-Muller transform. Both drivers draw the same numbers
for the same (seed, step) whatever the batch, chunk or worker.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(x):
    """The SplitMix64 finaliser: a bijective avalanche of 64 bits."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True)
def run_key(seed):
    """The 64-bit key of a run's stream (seed: a non-negative int64)."""
    return mix64(np.uint64(seed) * _GAMMA + _GAMMA)


@njit(cache=True, inline="always")
def _uniform(key, counter):
    """A uniform in (0, 1) from (key, counter)."""
    bits = mix64(key + (counter + _ONE) * _GAMMA)
    return (np.float64(bits >> _S11) + 0.5) * _INV53


@njit(cache=True)
def fill_normals(key, step, out):
    """Standard normals number ``step * len(out) + k`` of the run's stream, into ``out``."""
    width = out.shape[0]
    first = np.uint64(step) * np.uint64(width)
    k = 0
    while k < width:
        q = first + np.uint64(k)
        pair = q // _TWO
        u1 = _uniform(key, pair * _TWO)
        u2 = _uniform(key, pair * _TWO + _ONE)
        radius = math.sqrt(-2.0 * math.log(u1))
        angle = 2.0 * math.pi * u2
        if q % _TWO == 0:
            out[k] = radius * math.cos(angle)
            if k + 1 < width:
                out[k + 1] = radius * math.sin(angle)
            k += 2
        else:
            out[k] = radius * math.sin(angle)
            k += 1
