"""The package's module graph: modules, internal imports (and the share inside functions), import
circles and imports that go up the layers of pyproject.toml's import-linter contract.

    python experiments/module_graph.py [ROOT] [--old]

ROOT is a checkout (default: this one); ``--old`` reads a checkout of the flat layout before v3
(its modules mapped to their v3 layers) so the two can be compared.
"""

import ast
import collections
import json
import pathlib
import sys

ARGS = [a for a in sys.argv[1:] if a != "--old"]
OLD = "--old" in sys.argv[1:]
root = pathlib.Path(ARGS[0]) if ARGS else pathlib.Path(__file__).resolve().parents[1]
pkg = root / "simulation"
MOVES = {
    "errors": "core.errors",
    "io": "core.io",
    "paths": "core.paths",
    "resources": "core.resources",
    "stats": "core.stats",
    "state": "core.ladder",
    "references": "core.references",
    "registry": "world.registry",
    "scenario": "world.scenario",
    "resolve": "world.resolve",
    "build": "world.build",
    "odd": "reporting.odd",
    "engine": "drivers.engine",
    "model": "drivers.model",
    "agents": "drivers.agents",
    "explain": "reporting.explain",
    "plots": "reporting.plots",
    "manifest": "reporting.manifest",
    "export": "sweeps.export",
    "sweep": "sweeps.spec",
    "sweep_runner": "sweeps.execute",
    "sweep_folder": "sweeps.folder",
    "seminar": "teaching.seminar",
    "handout": "teaching.handout",
    "cli": "cli.app",
    "cli_analysis": "cli.analysis",
    "cli_research": "cli.research",
    "cli_seminar": "cli.seminar",
    "cli_sweep": "cli.sweep",
    "cli_types": "cli.argtypes",
    "calibration.posterior": "behaviour",
}
LAYERS = [
    ["cli"],
    ["dashboard"],
    ["teaching", "analysis", "calibration"],
    ["sweeps"],
    ["reporting"],
    ["runner"],
    ["drivers"],
    ["outcomes"],
    ["behaviour"],
    ["world"],
    ["rules"],
    ["core", "_version"],
]
rank = {m: len(LAYERS) - i for i, ms in enumerate(LAYERS) for m in ms}


def layer(mod):
    rest = mod.removeprefix("simulation.")
    rest = MOVES.get(rest, rest) if OLD else rest
    return rest.split(".")[0]


mods = {}
for f in pkg.rglob("*.py"):
    rel = f.relative_to(root).with_suffix("")
    name = ".".join(rel.parts)
    if name.endswith(".__init__"):
        name = name[:-9]
    mods[name] = f
edges = collections.defaultdict(set)
inside = total = 0
upward = []


def resolve(mod, node):
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = mod.split(".")
            if not str(mods[mod]).endswith("__init__.py"):
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        return [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a in node.names]
    return [a.name for a in node.names]


for mod, f in mods.items():
    tree = ast.parse(f.read_text())
    fn = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fn |= {id(m) for m in ast.walk(n) if isinstance(m, (ast.Import, ast.ImportFrom))}
    for n in ast.walk(tree):
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for t in resolve(mod, n):
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t.startswith("simulation") and t != mod:
                    total += 1
                    inside += id(n) in fn
                    edges[mod].add(t)
                    a, b = layer(mod), layer(t)
                    if a in rank and b in rank and rank[b] > rank[a]:
                        upward.append(f"{mod} -> {t}")
                    if t == "simulation" and mod != "simulation":
                        upward.append(f"{mod} -> simulation (root)")
index = {}
low = {}
st = []
on = set()
sccs = []
i = [0]
sys.setrecursionlimit(10000)


def sc(v):
    index[v] = low[v] = i[0]
    i[0] += 1
    st.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            sc(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(comp)


for v in list(mods):
    if v not in index:
        sc(v)
circles = [sorted(c) for c in sccs if len(c) > 1]
print(
    json.dumps(
        {
            "modules": len(mods),
            "internal_imports": total,
            "inside_functions": inside,
            "share_inside": round(inside / total, 3),
            "circles": circles,
            "upward_imports": len(set(upward)),
            "upward_examples": sorted(set(upward))[:12],
        },
        indent=1,
    )
)
