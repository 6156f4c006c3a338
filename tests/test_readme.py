"""The README's Python example runs as written, and its Quickstart matches .ci/run."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def test_python_blocks_run(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # from any folder, not only the checkout's root
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    for code in blocks:
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
        if "outcomes" in namespace:  # the library quick look
            assert 0.0 <= namespace["outcomes"]["alliance_reached"].mean() <= 1.0
            assert namespace["result"].summary()["scenario"].startswith("A trans-Atlantic")
        elif "spread_for" in namespace:  # a probability and its spread across posterior draws
            spread = namespace["runs"].attrs["spread"]["entente_at_end"]
            assert spread["draws"] == 200 and spread["runs_per_draw"] == 20
            assert namespace["s"].pooled == spread["pooled"] and namespace["s"].q05 <= namespace["s"].q95
        else:  # Mesa users: batch_run over a scalar lever, 3 replicates of each value
            assert {r["pressure_on_china"] for r in namespace["rows"]} == {0.2, 0.6}
            assert len({r["RunId"] for r in namespace["rows"]}) == 6
            assert namespace["model"].alignment_graph.number_of_edges() == 10


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second():
    quick = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["./tasks flagship", "./tasks test"]
    assert "./tasks test" in (ROOT / ".ci" / "run").read_text()
