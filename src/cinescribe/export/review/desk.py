"""The describer's desk on the review page: style findings beside each AD, and the writer's candidates.

* :func:`restyle` records the style checker's findings (:mod:`cinescribe.describe.style`) in every
  description of a document, as ``describe`` does, so that a saved edit carries fresh findings;
  speech time is estimated from the word count (the page has no voice at hand for each keystroke).
* :func:`edit_findings` checks one edit in the context of the whole script (the AD before it, the
  dialogue, the characters) before it is saved.
* :func:`choose_candidate` makes a description's facts those of the candidate the describer picked
  (one of the ``candidates`` that ``describe`` recorded), so the saved AD still traces to its facts.
"""

from __future__ import annotations

from typing import Any

from ...describe.style import check_document


def restyle(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with every description's ``style`` set to the checker's findings (in place)."""
    for d, found in zip(doc["descriptions"], check_document(doc)):
        d["style"] = [f.to_dict() for f in found]
    return doc


def edit_findings(applied: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The findings of description ``index`` of ``applied`` (a document with the edit applied)."""
    for d, found in zip(applied["descriptions"], check_document(applied)):
        if int(d["index"]) == index:
            return [f.to_dict() for f in found]
    return []


def choose_candidate(d: dict[str, Any], candidate: int) -> bool:
    """Set ``d``'s facts to those of its candidate number ``candidate`` when ``d``'s text is that
    candidate's text; returns whether it was."""
    options = d.get("candidates") or []
    if not 0 <= candidate < len(options) or options[candidate].get("text") != d["text"]:
        return False
    keys = list(options[candidate].get("facts") or [])
    considered = {f["key"]: f for f in d.get("considered_facts") or []}
    d["facts"] = [considered[k] for k in keys if k in considered]
    d["candidate"] = candidate
    return True
