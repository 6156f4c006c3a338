"""The patterns re-read for model v4: every pattern changed, its quotes, and its share met before and after.

    python experiments/pattern_changes.py --before-posterior <model-v3 posterior folder> \
        [--before-fit <model-v3 docs/figures/calibration_fit.json>] [--draws 100] [--out docs/pattern_changes.json]

Compares the model-v3 patterns (experiments/patterns_model_v3.yaml, frozen) with the shipped ones
(simulation/data/patterns.yaml): for every pattern added, changed or dropped, the target before and after,
its quotes, and the share of posterior predictive draws meeting it:
- *v3 posterior, v3 pattern*: model v3's own calibration report (its calibration_fit.json);
- *v3 posterior, re-read pattern*: model v3's posterior measured on the re-read pattern (``--draws`` draws,
  48 runs of each case; what the re-reading alone changes);
- *v4 posterior, re-read pattern*: filled in by the calibration report from the shipped posterior.
The calibration report (docs/calibration.md) prints the table from the JSON this writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BEFORE = ROOT / "experiments" / "patterns_model_v3.yaml"


def describe(p) -> dict:
    m = p.measure
    stat = m.statistic + ("" if m.threshold is None else f" {m.threshold:g}")
    case = p.case.key() + ("" if p.contrast is None else f" - {p.contrast.key()}")
    return {"measure": f"{m.outcome} ({stat}) on {case}", "target": p.target_text(), "tolerance": p.target.tolerance,
            "quotes": [s.cite() for s in p.sources()], "claim": p.claim}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before-posterior", type=Path, required=True, help="model v3's posterior folder")
    parser.add_argument("--before-fit", type=Path, help="model v3's calibration_fit.json (share met per pattern)")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pattern_changes.json")
    args = parser.parse_args()

    from simulation.calibration.abc import PatternSimulator
    from simulation.calibration.patterns import PatternsFile, load_patterns
    from simulation.calibration.report import draw_sets, load_posterior_dir

    old = {p.id: p for p in load_patterns(BEFORE).patterns}
    new = {p.id: p for p in load_patterns().patterns}
    rows = []
    for pid in list(new) + [i for i in old if i not in new]:
        a, b = old.get(pid), new.get(pid)
        da, db = (describe(a) if a else None), (describe(b) if b else None)
        if (
            a is not None
            and b is not None
            and {k: v for k, v in da.items() if k != "claim"} == {k: v for k, v in db.items() if k != "claim"}
        ):
            continue
        status = "added" if a is None else ("dropped" if b is None else "changed")
        rows.append({"id": pid, "status": status, "before": da, "after": db})
    before_fit = json.loads(args.before_fit.read_text("utf-8")) if args.before_fit else {}
    post = load_posterior_dir(args.before_posterior)
    changed = PatternsFile(title="", patterns=[new[r["id"]] for r in rows if r["after"] is not None])
    sim = PatternSimulator(changed, replicates=48, seed=8)
    values = [sim.values(dict(zip(post.keys, t, strict=True))) for t in draw_sets(post, args.draws, 7)]
    for r in rows:
        r["met_v3_posterior_v3_pattern"] = before_fit.get(r["id"]) if r["before"] else None
        if r["after"] is not None:
            p = new[r["id"]]
            r["met_v3_posterior_reread_pattern"] = float(np.mean([p.miss(v[p.id]) == 0 for v in values]))
    result = {"before": str(BEFORE.relative_to(ROOT)), "after": "simulation/data/patterns.yaml",
              "draws": args.draws, "runs_per_case": 48, "patterns": rows}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")
    for r in rows:
        before = "-" if r["before"] is None else r["before"]["target"]
        after = "-" if r["after"] is None else r["after"]["target"]
        print(f"{r['id']:<40} {r['status']:<8} {before:>16} -> {after:<16} "
              f"v3 met {r['met_v3_posterior_v3_pattern']}, re-read {r.get('met_v3_posterior_reread_pattern')}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
