"""SPICE (Anderson et al. 2016) through pycocoevalcap's jar, when its Stanford CoreNLP jars are present.

pycocoevalcap ships ``spice-1.0.jar`` but not the two Stanford CoreNLP 3.6.0 jars it needs
(``stanford-corenlp-3.6.0.jar`` and ``stanford-corenlp-3.6.0-models.jar`` in ``spice/lib``); it
downloads them on first use, which cinescribe never does.  No package on the registries this
project uses carries them, so SPICE is reported as unavailable unless someone has copied those
two files into that folder by hand; then the reference scorer runs them as it is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from .ptb import jar_path, java

CORENLP_JARS = ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")


def spice_lib() -> Path:
    """The folder where SPICE looks for its Stanford CoreNLP jars."""
    return jar_path("pycocoevalcap.spice", "spice-1.0.jar").parent / "lib"


def spice_unavailable_reason() -> str | None:
    """None when SPICE can run offline here, else one line saying what is missing and where it goes."""
    try:
        lib = spice_lib()
        java()
    except MissingDependencyError as exc:
        return str(exc)
    missing = [j for j in CORENLP_JARS if not (lib / j).is_file()]
    if missing:
        return (f"SPICE is unavailable offline: it needs {' and '.join(missing)} (Stanford CoreNLP 3.6.0) in "
                f"{lib}, which pycocoevalcap downloads at first use and no installable package provides; "
                "copy them there to enable it, or leave spice out of --metrics")
    return None


def spice(hyps: list[str], refs: list[list[str]]) -> tuple[float, np.ndarray]:
    """Corpus SPICE F-score and per-item scores (the reference scorer, run offline)."""
    reason = spice_unavailable_reason()
    if reason:
        raise MissingDependencyError(reason)
    from pycocoevalcap.spice.spice import Spice

    score, items = Spice().compute_score({i: r for i, r in enumerate(refs)}, {i: [h] for i, h in enumerate(hyps)})
    return float(score), np.array([s["All"]["f"] for s in items], dtype=np.float64)
