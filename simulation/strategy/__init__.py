"""Policy search: which US (and EU) strategy keeps the focal pair apart, at what cost, in every plausible world.

Robust decision making on the calibrated model (MORDM, Kwakkel 2017, doi:10.1016/j.envsoft.2017.06.054):
a policy-search file declares levers, objectives with directions and robustness statistics over posterior
draws, and deep uncertainties; a many-objective search (NSGA-II on pymoo) compares every policy on the
same draws and seeds; the front is re-evaluated on held-out draws and fresh seeds, and scenario discovery
(PRIM) says where a chosen policy fails.
"""

from __future__ import annotations

from simulation.strategy.load import load_policy_search
from simulation.strategy.outputs import read_outputs
from simulation.strategy.run import run_policy_search
from simulation.strategy.spec import PolicySearch, PolicySearchSpec, policy_search_json_schema

__all__ = [
    "PolicySearch",
    "PolicySearchSpec",
    "load_policy_search",
    "policy_search_json_schema",
    "read_outputs",
    "run_policy_search",
]
