"""The five source documents in words: short citations ("Kaczmarski 2021") and full references.

The registry cites a seed document by its file name (``004_7f33c5278f8a5c30.txt``), which is
exact but means nothing to a reader. Everything a person reads (dashboard, event log, handouts)
shows the short citation instead, with the full reference list at hand:

>>> short_citation("004_7f33c5278f8a5c30.txt")
'Kaczmarski 2021'
>>> in_words('004_7f33c5278f8a5c30.txt: "not an alliance yet"')
'Kaczmarski 2021: "not an alliance yet"'

The authors and venues are those of the seeds' own README (seeds/README.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One source document: its file name, a short citation and the full reference."""

    file: str
    short: str
    full: str


REFERENCES: tuple[Reference, ...] = (
    Reference(
        "000_13cebfda7c8178fb.txt",
        "Cheang 2018",
        "Chris Cheang, \u201cRussia-China Relations: Alliance in the Making?\u201d, RSIS Commentary, "
        "S. Rajaratnam School of International Studies, September 2018.",
    ),
    Reference(
        "001_463a3cb364b7d7c5.txt",
        "Aron 2019",
        "Leon Aron, \u201cAre Russia and China Really Forming an Alliance? The Evidence Is Less Than "
        "Impressive\u201d, Foreign Affairs, April 2019.",
    ),
    Reference(
        "002_35703208d8360f1c.txt",
        "Appel 2019",
        "Hilary Appel, memo on the Putin-Xi relationship (Belt and Road and the Eurasian Economic Union), "
        "PONARS Eurasia Policy Memo, 2019.",
    ),
    Reference(
        "003_1c92673edfb098e5.txt",
        "Raigirdas 2021",
        "Raigirdas (RESC China Research Program), \u201cOn the Path Towards a Formal Alliance? The "
        "Sino-Russian \u2018Partnership of Convenience\u2019\u201d, RESC bulletin, 23 January 2021.",
    ),
    Reference(
        "004_7f33c5278f8a5c30.txt",
        "Kaczmarski 2021",
        "Marcin Kaczmarski, \u201cRussia-China: Ever Closer Relationship, But Not an Alliance Yet\u201d, "
        "Russian Analytical Digest (ETH Zurich), 2021, doi:10.3929/ethz-b-000476768.",
    ),
)

BY_FILE: dict[str, Reference] = {r.file: r for r in REFERENCES}
#: The three-digit prefix ("004") some texts use for a document.
BY_NUMBER: dict[str, Reference] = {r.file[:3]: r for r in REFERENCES}

_FILE = re.compile(r"\b(\d{3})_[0-9a-f]{16}\.txt\b")
_NUMBER_QUOTE = re.compile(r"(?<![\w.])(\d{3})(?=: \")")


def reference(document: str) -> Reference | None:
    """The reference for a file name ("004_7f33c5278f8a5c30.txt") or its number ("004"); None if unknown."""
    document = document.strip()
    return BY_FILE.get(document) or BY_NUMBER.get(document)


def short_citation(document: str) -> str:
    """'Kaczmarski 2021' for "004_7f33c5278f8a5c30.txt" (or "004"); an unknown name is returned as given."""
    ref = reference(document)
    return ref.short if ref is not None else document


def full_reference(document: str) -> str:
    """The full reference of a document; an unknown name is returned as given."""
    ref = reference(document)
    return ref.full if ref is not None else document


def in_words(text: str) -> str:
    """``text`` with every seed file name (and a quote's "004:" prefix) replaced by its short citation."""
    text = _FILE.sub(lambda m: BY_NUMBER[m.group(1)].short if m.group(1) in BY_NUMBER else m.group(0), text)
    return _NUMBER_QUOTE.sub(lambda m: BY_NUMBER[m.group(1)].short if m.group(1) in BY_NUMBER else m.group(0), text)


def cited_in(text: str) -> list[Reference]:
    """The references a text cites (by file name or short citation), in the order of the list."""
    return [r for r in REFERENCES if r.file in text or r.short in text]


def reference_list_markdown(references: tuple[Reference, ...] | list[Reference] = REFERENCES) -> str:
    """A Markdown reference list: '- **Kaczmarski 2021**: Marcin Kaczmarski, ...'."""
    return "\n".join(f"- **{r.short}**: {r.full}" for r in references)
