"""The compiled rules: the cache check behind the compile notice, the notice itself, and threads.

Invariant 12 (never silent): a command that compiles says so once, before, with an estimate.
Invariant 2: a batch's numbers do not depend on how its runs are spread over threads.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading

import numpy as np
import pytest

from simulation.core.paths import shipped_scenario
from simulation.drivers import compiled
from simulation.drivers.engine import set_threads, simulate, threads
from simulation.drivers.inputs import prepare_inputs
from simulation.rules import kernels
from simulation.runner import replicate_seeds
from simulation.world.scenario import load_scenario


def _fresh_module(tmp_path, name: str):
    """A module with one cached njit function, its numba cache beside it in tmp_path."""
    source = tmp_path / f"{name}.py"
    source.write_text("from numba import njit\n\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n", "utf-8")
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_cache_check_tells_a_compiled_function_from_one_never_compiled(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    module = _fresh_module(tmp_path, "alliance_cache_probe")
    assert compiled._cached(module.twice) is False  # nothing on disk yet: a first call compiles
    assert module.twice(21) == 42
    assert compiled._cached(module.twice) is True  # written to tmp_path/__pycache__
    again = _fresh_module(tmp_path, "alliance_cache_probe")  # a new process would see the same files
    assert compiled._cached(again.twice) is True


def test_the_batch_entry_point_is_in_the_cache_after_a_batch():
    scenario = load_scenario(shipped_scenario("baseline_2018_2021"))
    inputs = prepare_inputs(scenario, np.arange(2), "point")
    simulate(inputs.params, np.arange(2), 2, inputs.reference)
    assert compiled._cached(kernels.run_runs) is True
    assert compiled.rules_ready("batch")


def test_the_compile_notice_is_said_once_with_an_estimate(monkeypatch, caplog):
    monkeypatch.setattr(compiled, "rules_ready", lambda kind="batch": False)
    monkeypatch.setattr(compiled, "_announced", False)
    monkeypatch.setattr(compiled, "_settled", set())
    monkeypatch.setattr(compiled, "estimate_seconds", lambda: 42.0)
    monkeypatch.setattr(compiled, "estimate_compile", lambda kind: (42.0, True))
    with caplog.at_level(logging.WARNING, logger="simulation.drivers.compiled"):
        assert compiled.announce_compile("batch") is True
        assert compiled.announce_compile("model") is True
        assert compiled.announce_compile("batch") is False  # compiled in this process from now on
    said = [r.getMessage() for r in caplog.records if r.name == "simulation.drivers.compiled"]
    assert said == ["preparing the compiled rules (first run only, about 42 s, as measured on this machine)"]


def test_no_notice_when_the_cache_holds_the_rules(monkeypatch, caplog):
    monkeypatch.setattr(compiled, "rules_ready", lambda kind="batch": True)
    monkeypatch.setattr(compiled, "_announced", False)
    monkeypatch.setattr(compiled, "_settled", set())
    with caplog.at_level(logging.WARNING, logger="simulation.drivers.compiled"):
        assert compiled.announce_compile("batch") is False
    assert not [r for r in caplog.records if r.name == "simulation.drivers.compiled"]


def test_the_estimate_stretches_with_the_load(monkeypatch, tmp_path):
    from simulation.core import measured

    monkeypatch.setenv("ALLIANCE_SIM_CACHE_DIR", str(tmp_path))  # nothing measured yet: the default
    monkeypatch.setattr(measured.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(measured.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    idle = compiled.estimate_seconds()
    monkeypatch.setattr(measured.os, "getloadavg", lambda: (7.0, 0.0, 0.0))
    assert idle == pytest.approx(compiled.COLD_COMPILE_SECONDS)
    assert compiled.estimate_seconds() == pytest.approx(4 * idle)  # 8 runnable on 2 cores: a quarter core each
    assert "not yet measured on this machine" in compiled.compile_message()
    measured.remember_compile("batch", 40.0)  # a compile measured under that load: 10 s on an idle core
    assert compiled.estimate_seconds() == pytest.approx(40.0)
    assert "as measured on this machine" in compiled.compile_message()


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_batch_is_the_same_on_any_number_of_threads(count):
    scenario = load_scenario(shipped_scenario("china_india_crisis"))  # random events: the draws' tail used
    seeds = replicate_seeds(4, 3 * kernels.BLOCK_RUNS + 17)  # four blocks, the last one short
    inputs = prepare_inputs(scenario, seeds, "posterior")
    params, ref, shape = inputs.params, inputs.reference, inputs.structure
    one = simulate(params, seeds, shape.steps, ref, parallel=False)
    set_threads(count)
    try:
        assert threads() == count
        many = simulate(params, seeds, shape.steps, ref, parallel=True)
    finally:
        set_threads(None)
    np.testing.assert_array_equal(one.levels, many.levels)
    np.testing.assert_array_equal(one.focal_trade, many.focal_trade)


def test_a_thread_can_run_its_batches_on_itself_alone():
    set_threads(3)
    seen = {}

    def chunk_thread():
        set_threads(1, this_thread=True)
        seen["chunk"] = threads()

    try:
        t = threading.Thread(target=chunk_thread)
        t.start()
        t.join()
        assert seen["chunk"] == 1 and threads() == 3  # the setting stayed in its thread
    finally:
        set_threads(None)
