"""Build step: copy the shipped folders into the package as data (metadata lives in pyproject.toml).

The top-level ``scenarios/``, ``experiments/`` (YAML only), ``schemas/`` and ``seminar/`` folders
stay the source of truth; a wheel carries copies under ``simulation/data/<folder>/``, where
``simulation.core.resources`` finds them. Their ``$schema`` lines (``../schemas/...``) point at the
copied schemas in an installed package as in a checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"scenarios": "*.yaml", "experiments": "*.yaml", "schemas": "*.json", "seminar": "**/*"}


class BuildWithData(build_py):
    def run(self):
        super().run()
        for folder, pattern in SHIPPED.items():
            source = ROOT / folder
            target = Path(self.build_lib) / "simulation" / "data" / folder
            for path in sorted(source.glob(pattern)):
                if path.is_file() and "sessions" not in path.relative_to(source).parts:
                    dest = target / path.relative_to(source)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)
        # package data that lives in simulation/data/ names its schema from the checkout's layout
        # (../../schemas/); in the wheel the schemas sit beside it (schemas/)
        for path in (Path(self.build_lib) / "simulation" / "data").glob("*.yaml"):
            text = path.read_text("utf-8")
            if "$schema=../../schemas/" in text.split("\n", 1)[0]:
                path.write_text(text.replace("$schema=../../schemas/", "$schema=schemas/", 1), "utf-8")


setup(cmdclass={"build_py": BuildWithData})
