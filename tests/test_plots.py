"""The figures' month labels, end to end: a run's month ``m`` (1-based; row ``m`` of a trajectory, the outcome
``alliance_month``) carries the calendar month ``run_month_label(start, m)`` on every figure's month axis, as
README ("Months, one convention") and ``simulation.core.calendar`` say: with a January 2018 start, month 1 is
Jan 2018, month 6 Jun 2018, month 48 Dec 2021 (and row 0, the state before the first step, Dec 2017)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.core.calendar import run_month_label
from simulation.reporting import plots

START, STEPS = "2018-01", 48
MANIFEST = {
    "base_scenario": {"focal_pair": ["Russia", "China"], "start": START, "steps": STEPS},
    "sweep_spec": {"parameters": "posterior"},
    "design": {"factors": []},
}
#: The README's own examples of the convention (month -> label on a figure).
KNOWN = {1: "Jan 2018", 6: "Jun 2018", 13: "Jan 2019", 48: "Dec 2021"}


def ticks(ax) -> dict[int, str]:
    """The month axis' ticks as {position: label}, read from the matplotlib Axes."""
    return {int(round(pos)): t.get_text() for pos, t in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)}


def assert_months(ax, start: str = START) -> None:
    shown = ticks(ax)
    assert shown, "the month axis has no ticks"
    for m, label in shown.items():  # every tick, whatever the start: the calendar's own label for that month
        year, month = run_month_label(start, m).split("-")
        assert label == f"{pd.Timestamp(int(year), int(month), 1):%b %Y}", (m, label)


def test_month_labels_follow_the_calendar_module_for_the_readme_examples():
    # the test's own label function agrees with the README's examples before it judges any figure
    for m, label in KNOWN.items():
        year, month = run_month_label(START, m).split("-")
        assert f"{pd.Timestamp(int(year), int(month), 1):%b %Y}" == label


def test_fan_chart_ticks_carry_the_month_of_each_trajectory_row():
    rows = np.tile(np.arange(STEPS + 1) % 6, (20, 1))  # months 0-48, as a sweep stores a trajectory
    df = pd.DataFrame({"trajectory": list(rows), "final_level": rows[:, -1]})
    ax = plots.fan_chart(df, manifest=MANIFEST).axes[0]
    shown = ticks(ax)
    assert shown[1] == "Jan 2018" and shown[13] == "Jan 2019" and shown[48] == "Dec 2021"
    assert "Jan 2022" not in shown.values() and shown.get(0) != "Jan 2018"  # row 0 is the state before Jan 2018
    assert_months(ax)
    # the mean line's point at position m is row m: the data and the ticks share one axis
    line = ax.get_lines()[0]
    assert np.allclose(line.get_xdata(), np.arange(STEPS + 1))


def test_time_to_alliance_puts_alliance_month_under_its_calendar_month():
    months = pd.array([6] * 30 + [48] * 5, dtype="Int16")
    df = pd.DataFrame({"alliance_month": months, "run": range(35)})
    ax = plots.time_to_alliance(df, manifest=MANIFEST).axes[0]
    shown = ticks(ax)
    assert shown[1] == "Jan 2018" and shown[48] == "Dec 2021"
    assert_months(ax)
    # the 30 runs of month 6 are one bar centred on position 6 (Jun 2018), the 5 of month 48 on Dec 2021
    bars = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in ax.patches if p.get_height() > 0}
    assert bars == {6: 30, 48: 5}
    assert "0 = Jan 2018" not in ax.get_xlabel()


def test_time_to_alliance_with_another_start_month():
    df = pd.DataFrame({"alliance_month": pd.array([3, 20, 30], dtype="Int16")})
    manifest = {**MANIFEST, "base_scenario": {**MANIFEST["base_scenario"], "start": "2014-03", "steps": 36}}
    ax = plots.time_to_alliance(df, manifest=manifest).axes[0]
    shown = ticks(ax)
    assert shown[1] == "Mar 2014" and shown[36] == "Feb 2017"
    assert_months(ax, "2014-03")


def test_a_runs_alignment_figure_labels_its_rows_with_the_runners_dates():
    from simulation.runner import run_scenario
    from simulation.world.scenario import load_scenario

    result = run_scenario(load_scenario("baseline_2018_2021"), seed=0)
    traj = result.trajectories
    assert traj["date"].iloc[6] == "2018-06" and traj["date"].iloc[-1] == "2021-12"  # the runner's convention
    pairs = [c for c in traj.columns if c.count("_") == 1 and c.split("_")[0] in ("russia", "china", "us")][:3]
    ax = plots.alignment_over_time(traj, pairs, "t").axes[0]
    shown = ticks(ax)
    assert shown[1] == "Jan 2018" and shown[len(traj) - 1] == "Dec 2021"
    assert_months(ax, result.scenario.start)


@pytest.mark.parametrize("kind", ["fan", "time"])
def test_a_figure_without_a_start_month_numbers_its_months_from_one(kind):
    rows = np.tile(np.arange(STEPS + 1) % 6, (20, 1))
    df = pd.DataFrame({"trajectory": list(rows), "alliance_month": pd.array([5] * 20, dtype="Int16")})
    fig = plots.fan_chart(df) if kind == "fan" else plots.time_to_alliance(df)
    label = fig.axes[0].get_xlabel()
    assert "first month" in label and "Jan" not in " ".join(ticks(fig.axes[0]).values())


def test_a_long_footer_never_runs_into_the_axis_label():
    """The footer is wrapped before the layout leaves room for it: with four long lines (a pooled sampled
    design and the spread across draws), the month axis' label still ends above the footer's first line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame({f: rng.uniform(0, 1, n) for f in ("pressure_on_russia", "pressure_on_china", "coord")})
    df["alliance_month"] = pd.array(np.where(rng.uniform(size=n) < 0.05, rng.integers(1, 49, n), None), dtype="Int16")
    df["draw"] = np.arange(n) % 40
    paths = {"pressure_on_russia": "pressure.targets.Russia", "pressure_on_china": "pressure.targets.China",
             "coord": "pressure.coordination"}  # fmt: skip
    manifest = {
        **MANIFEST,
        "base_scenario": {**MANIFEST["base_scenario"], "pressure": {"by": "US", "coordinated_by": "EU"}},
        "design": {"factors": list(paths)},
        "sweep_spec": {"parameters": "posterior", "vary": [{"path": p, "label": c} for c, p in paths.items()]},
    }
    fig = plots.time_to_alliance(df, manifest=manifest)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    footer = fig.texts[0]
    label = fig.axes[0].xaxis.label.get_window_extent(renderer)
    assert label.y0 > footer.get_window_extent(renderer).y1
    width = fig.get_figwidth() * fig.dpi
    assert footer.get_window_extent(renderer).x1 <= width  # wrapped to the figure, not past its edge


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 0.001), (0.0, 0.004), (0.001, 0.004), (0.996, 0.999), (0.2, 0.204)])
def test_a_heatmap_range_never_reads_as_zero_width(lo, hi):
    from simulation.reporting.plot_sweep import _range_text

    text = _range_text(lo, hi)
    ends = text.replace(" to ", "-").split("-")
    assert len(ends) == 2 and ends[0] != ends[1], text
    assert float(ends[0].lstrip("<>")) <= lo + 5e-4 and float(ends[1].lstrip("<>")) >= hi - 5e-4


PLOT_MODULES = ("plots", "plot_run", "plot_sweep", "plot_time", "plot_spread", "plot_words", "plot_data", "plot_style")


@pytest.mark.parametrize("name", PLOT_MODULES)
def test_every_public_plotting_function_documents_its_parameters_and_return(name):
    """The API reference renders numpy-style sections: each public function of a plotting module names every
    parameter under Parameters and says what it returns."""
    import importlib
    import inspect

    module = importlib.import_module(f"simulation.reporting.{name}")
    functions = [f for n, f in vars(module).items() if inspect.isfunction(f) and not n.startswith("_")
                 and f.__module__ == module.__name__]  # fmt: skip
    assert functions
    for f in functions:
        doc = inspect.getdoc(f) or ""
        assert "Returns\n-------" in doc, f.__name__
        params = list(inspect.signature(f).parameters)
        if params:
            assert "Parameters\n----------" in doc, f.__name__
        for p in params:
            assert f"\n{p} : " in doc, (f.__name__, p)


def test_month_words_name_the_calendar_month_as_the_figures_ticks_do():
    # the network figure's title ('Alignment at the end of Dec 2021') uses the same words as the time axes
    from simulation.core.calendar import month_words

    for m, label in KNOWN.items():
        assert month_words(run_month_label(START, m)) == label
    assert month_words("2014-03") == "Mar 2014"
