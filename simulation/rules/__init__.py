"""The decision rules, written once and compiled (numba); both drivers call them.

- ``terms``: the utility terms, declared once (sign, label, weight, rung, families read);
- ``params``: ``Params``, the one container of parameters and drivers the rules read;
- ``kernels``: the rules of one month of one run (policy, threat, trade, terms, desire,
  intents, consent), the resting-point constants, and the batch loop;
- ``rng``: the counter-based normal stream of a run.

This package imports nothing from the world-building layer (``build``, ``resolve``,
``scenario``): arrays in, arrays out.
"""
