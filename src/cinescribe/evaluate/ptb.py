"""PTB tokenisation exactly as the COCO caption evaluation does it.

pycocoevalcap runs Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase`` over a file
with one caption per line, then drops punctuation tokens.  We run the same jar with the same
options over one file holding every sentence of a call (one Java process per call, as the
reference does), so the tokens are identical by construction, quirks included: ``-lrb-`` stays,
because the punctuation list has upper-case ``-LRB-``, and the tokenizer's output for a line can
depend on the other lines of the file (it sometimes leaves the file's first token upper-case).
Callers therefore tokenise references and hypotheses in two calls, in the reference's order.
Whole batches already seen are served from a small cache, so ground-truth references are tokenised
once per process when evaluating inside training.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from ..errors import MissingDependencyError

# Tokens pycocoevalcap removes after tokenising (its PUNCTUATIONS list, verbatim).
PUNCTUATIONS = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                          ".", "?", "!", ",", ":", "-", "--", "...", ";"])
_CACHE_BATCHES = 8
_cache: dict[tuple[str, ...], list[str]] = {}


def jar_path(package: str, name: str) -> Path:
    """Path of a jar shipped inside the pycocoevalcap package; MissingDependencyError if absent."""
    try:
        path = Path(str(resources.files(package).joinpath(name)))
    except ModuleNotFoundError:
        raise MissingDependencyError("pycocoevalcap is not installed; pip install pycocoevalcap==1.2") from None
    if not path.is_file():
        raise MissingDependencyError(f"{path} is missing; reinstall pycocoevalcap==1.2")
    return path


def java() -> str:
    """The ``java`` executable; MissingDependencyError if there is none."""
    exe = shutil.which("java")
    if exe is None:
        raise MissingDependencyError("java is not on PATH; the COCO tokenizer and METEOR need Java "
                                     "(apt-get install openjdk-17-jre-headless)")
    return exe


def _run_tokenizer(sentences: list[str]) -> list[str]:
    jar = jar_path("pycocoevalcap.tokenizer", "stanford-corenlp-3.4.1.jar")
    with tempfile.TemporaryDirectory(prefix="cinescribe-ptb-") as tmp:
        src = Path(tmp) / "sentences.txt"
        src.write_bytes("\n".join(s.replace("\n", " ") for s in sentences).encode())
        proc = subprocess.run([java(), "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer",
                               "-preserveLines", "-lowerCase", str(src)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise MissingDependencyError(f"the PTB tokenizer (Java) failed: {proc.stderr.decode(errors='replace')[-300:]}")
    lines = proc.stdout.decode().split("\n")
    if len(lines) < len(sentences):
        raise MissingDependencyError(f"the PTB tokenizer returned {len(lines)} lines for {len(sentences)} sentences")
    return [" ".join(w for w in line.rstrip().split(" ") if w not in PUNCTUATIONS) for line in lines[:len(sentences)]]


def tokenize(sentences: list[str], cache: bool = True) -> list[str]:
    """PTB-tokenised, lower-cased, punctuation-free form of each sentence (tokens joined by spaces).

    The batch is tokenised in one Java process, exactly as pycocoevalcap tokenises one dict;
    ``cache=False`` always runs the tokenizer (for timing it).
    """
    if not cache:
        return _run_tokenizer(list(sentences)) if sentences else []
    key = tuple(sentences)
    if key not in _cache:
        if len(_cache) >= _CACHE_BATCHES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _run_tokenizer(list(sentences)) if sentences else []
    return list(_cache[key])
