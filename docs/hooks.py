"""MkDocs hook: pages made from files that live outside docs/ (README, MODEL, the instructor guide,
the changelog and the example notebooks), with their links rewritten for the site.

Links into docs/ lose the ``docs/`` prefix; links to other documents that are pages here point at
their page; links to files that are not pages (scenarios, sweep files, source) become code spans
naming the file, since a built site cannot link into the checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "index.md": "README.md",
    "model.md": "MODEL.md",
    "instructor_guide.md": "seminar/INSTRUCTOR_GUIDE.md",
    "changelog.md": "CHANGELOG.md",
}
RENAMED = {source: page for page, source in PAGES.items()}
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _rewrite(text: str, source: str) -> str:
    base = Path(source).parent

    def fix(match: re.Match) -> str:
        bang, label, target = match.groups()
        if re.match(r"^[a-z]+:|^#", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        rel = (base / path).as_posix() if str(base) != "." else path
        rel = str(Path(rel)).replace("\\", "/")
        if rel in RENAMED:
            return f"{bang}[{label}]({RENAMED[rel]}{'#' + anchor if anchor else ''})"
        if rel.startswith("docs/") and (ROOT / rel).exists():
            return f"{bang}[{label}]({rel[len('docs/') :]}{'#' + anchor if anchor else ''})"
        if rel.startswith("examples/") and rel.endswith(".ipynb"):
            return f"{bang}[{label}]({rel})"
        return label if label.startswith("`") else f"{label} (`{rel}`)" if label != rel else f"`{rel}`"

    return LINK.sub(fix, text)


@event_priority(100)  # before the notebook plugin, so that it converts the notebooks added here
def on_files(files, config):
    for page, source in PAGES.items():
        text = (ROOT / source).read_text("utf-8")
        files.append(File.generated(config, page, content=_rewrite(text, source)))
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        files.append(File.generated(config, f"examples/{notebook.name}", abs_src_path=str(notebook)))
    return files
