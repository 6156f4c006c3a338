"""Loading a policy-search file: the schema, then every cross-check the search would make (one line, exit 2).

``validate`` and ``policy-search`` both call :func:`load_policy_search`, so they refuse the same files with
the same line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from simulation.core.errors import InputError
from simulation.outcomes import outcome as catalogue_outcome
from simulation.strategy.levers import check_levers
from simulation.strategy.spec import PolicySearch, PolicySearchSpec
from simulation.strategy.worlds import check_worlds
from simulation.world.scenario import load_scenario, validation_error_to_input_error


def check_measure(name: str, source: Path | None, field_name: str) -> None:
    """A catalogue outcome with a number per draw (anything else: one line listing what is allowed)."""
    from simulation.outcomes import NUMERIC_OUTCOMES

    try:
        found = catalogue_outcome(name)
    except KeyError:
        found = None
    if found is None or found.aggregation is None:
        why = "not an outcome of the catalogue" if found is None else "a category, not a number"
        allowed = ", ".join([*NUMERIC_OUTCOMES, "final_<a>_<b>"])
        raise InputError(source, field_name, f"'{name}' is {why} (allowed: {allowed})")


def load_policy_search(path: str | Path) -> PolicySearch:
    """Load and validate a policy-search file: schema, outcomes, lever paths at their extremes, worlds
    against the posterior. Everything ``policy-search`` would refuse is refused here, with the same line.

    Parameters
    ----------
    path
        The policy-search YAML file, or the name of a shipped one (``experiments/``).

    Returns
    -------
    PolicySearch
        The validated search: its specification, base scenario, levers and worlds.

    Raises
    ------
    InputError
        A file, field or value the search cannot use (one line naming the file and field).
    """
    from simulation.core.io import parse_yaml, read_input_text
    from simulation.core.resources import resolve_ref

    path = resolve_ref(path, "experiments")
    text = read_input_text(path, "policy search")
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise InputError(path, None, "expected a mapping of policy-search fields at the top level")
    try:
        spec = PolicySearchSpec.model_validate(data)
    except ValidationError as err:
        raise validation_error_to_input_error(err, PolicySearchSpec, path) from None
    base_path = resolve_ref(
        spec.base_scenario, "scenarios", relative_to=path.parent, source=path, field="base_scenario"
    )
    base = load_scenario(base_path.resolve())
    base_ref = spec.base_scenario if not Path(spec.base_scenario).suffix else str(base_path.resolve())
    references = {}
    for k, ref in enumerate(spec.reference_policies):
        ref_path = resolve_ref(ref, "scenarios", relative_to=path.parent, source=path, field=f"reference_policies[{k}]")
        scenario = load_scenario(ref_path.resolve())
        if scenario.actors != base.actors or scenario.steps != base.steps or scenario.focal_pair != base.focal_pair:
            raise InputError(
                path,
                f"reference_policies[{k}]",
                f"{ref} has other actors, horizon or focal pair than the base scenario",
            )
        references[Path(ref).stem] = scenario
    search = PolicySearch(spec, base, path, text, base_ref, references)
    check_search(search)
    return search


def check_search(search: PolicySearch) -> None:
    """Cross-checks pydantic cannot express (outcomes, lever paths, worlds, regret's reference set)."""
    spec, source = search.spec, search.source
    for k, o in enumerate(spec.objectives):
        if o.outcome is not None:
            check_measure(o.outcome, source, f"objectives[{k}].outcome")
        if o.robustness.statistic == "regret" and not spec.reference_policies:
            raise InputError(
                source, f"objectives[{k}].robustness", "regret needs reference_policies (the best of them in each draw)"
            )
    for k, c in enumerate(spec.constraints):
        if c.outcome is not None:
            check_measure(c.outcome, source, f"constraints[{k}].outcome")
        if c.robustness.statistic == "regret" and not spec.reference_policies:
            raise InputError(source, f"constraints[{k}].robustness", "regret needs reference_policies")
    if spec.failure is not None and spec.failure.outcome is not None:
        check_measure(spec.failure.outcome, source, "failure.outcome")
    check_levers(search)
    check_worlds(search)
