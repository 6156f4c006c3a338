"""Mesa users recognise the model: Mesa's own SolaraViz builds AllianceModel, steps it and resets it.

SolaraViz's Reset re-creates the model from its class with Mesa's ``scenario`` argument
(``_build_model_init_kwargs(..., require_model_accepts_scenario=True)``); the project's own
scenario argument is named ``spec`` so that the two do not clash. The controls are rendered
with the reactive settings SolaraViz gives them (its sidebar is a portal that a bare render
does not show).
"""

from __future__ import annotations

import pytest

solara = pytest.importorskip("solara")
pytest.importorskip("altair")  # Mesa's default visualization components import it (dashboard extra)
ipyvuetify = pytest.importorskip("ipyvuetify")

from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.solara_viz import ModelController  # noqa: E402

from simulation.drivers.model import AllianceModel  # noqa: E402


def test_solaraviz_constructs_the_page_without_error():
    model = solara.reactive(AllianceModel(seed=3))
    box, _ = solara.render(SolaraViz(model, components=[], name="alliance-sim"), handle_error=False)
    assert box.children  # the page rendered (a model Mesa cannot build raises here)


def test_mesa_controls_step_and_reset_the_model():
    model = solara.reactive(AllianceModel(seed=3))
    first = model.value
    controls = ModelController(model, model_parameters=solara.reactive({}), play_interval=solara.reactive(100),
                               render_interval=solara.reactive(1), use_threads=solara.reactive(False))  # fmt: skip
    _, rc = solara.render(controls, handle_error=False)

    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    assert model.value is first and first.month == 1  # Step advanced the same model one month

    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    assert model.value is not first  # Reset built a new model through the class, with Mesa's scenario...
    assert isinstance(model.value, AllianceModel) and model.value.month == 0  # ...back at month 0
    assert model.value.actors == first.actors and not model.value.history
