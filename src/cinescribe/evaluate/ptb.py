"""PTB tokenisation exactly as the COCO caption evaluation does it.

pycocoevalcap runs Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase`` over a file
with one caption per line, then drops punctuation tokens (``-lrb-`` stays, because the punctuation
list has upper-case ``-LRB-``).  Two engines give that result:

- ``jar``: the same jar with the same options over one file holding every sentence of a call (one
  Java process per call, as the reference does), so the tokens are the reference's by construction;
- ``auto`` (the default): :mod:`.ptb_rules` tokenises in Python every sentence whose result is certain
  (plain ASCII text, nearly every AD), and the jar tokenises the rest in one call.

A line's tokens depend on the line and on the text after it up to the next non-blank line (the
lexer's look-ahead after a period crosses the newline: ``Plan B.`` before a line starting ``He`` is
tokenised ``b``, otherwise ``b.``), and on whether the file ends there.  The ``auto`` engine therefore
sends each remaining sentence with the lines that follow it up to the next non-blank one, in the
batch's order, and the batch's last lines last, so the jar sees what it would have seen in the whole
batch; a sentence holding a character the lexer reads as a line break (``\r``, ``\x0b``, ``\x0c``,
``\x85``, ``\u2028``, ``\u2029``) shifts every later line in the reference, so such a batch goes to
the jar whole.  Callers tokenise references and hypotheses as two batches, in the reference's order;
:func:`tokenize_batches` gives the jar the sentences of both in one run where it can.

Batches already seen are served from a small in-memory cache; with ``persist=True`` (ground truth) the
tokens are also kept on disk under ``cache_root()/ptb``, named by a hash of the batch's text, and so
is the jar's output for each file the ``auto`` engine gives it (in ``ptb/jar``, named by the file's
hash), so sentences outside the rules that were seen before need no Java either.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from ..atomic import write_text
from ..cache import cache_root
from ..errors import InputError, MissingDependencyError
from .ptb_rules import tokenize_line

# Tokens pycocoevalcap removes after tokenising (its PUNCTUATIONS list, verbatim).
PUNCTUATIONS = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                          ".", "?", "!", ",", ":", "-", "--", "...", ";"])
_CACHE_BATCHES = 8
_cache: dict[tuple[str, tuple[str, ...]], list[str]] = {}
ENGINES = ("auto", "jar")
_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029")
_BLANK = " \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u3000\u200b\u200e\u200f\ufeff\x00"
_DISK_VERSION = "ptb-3.4.1/1"


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


def _with_context(lines: list[str], wanted: list[int]) -> list[int]:
    """Indices of the lines to give the jar so each wanted line sees the text that follows it in the
    batch: the line, then the following lines up to and including the next non-blank one (or to the end)."""
    keep: set[int] = set()
    for i in wanted:
        keep.add(i)
        k = i + 1
        while k < len(lines):
            keep.add(k)
            if lines[k].strip(_BLANK):
                break
            k += 1
    return sorted(keep)


def _jar_remembered(lines: list[str]) -> list[str]:
    """The jar's output for a file of ``lines``, kept on disk by the file's hash (it depends on nothing else)."""
    path = _disk_path("jar-file", lines)
    tokens = _read_disk(path, len(lines))
    if tokens is None:
        tokens = _run_tokenizer(lines)
        _write_disk(path, tokens)
    return tokens


def _auto(batches: list[list[str]], remember: bool = True) -> list[list[str]]:
    """Each batch's tokens as the reference gives them for that batch alone, with as few jar runs as
    possible: the sentences of every batch outside the rules go to one file, each with the lines that
    follow it up to the next non-blank one; the one part whose sentences see their batch's end goes
    last (the jar sees the end of the file there too); any other such part, and any batch holding a line
    break inside a sentence, gets a file of its own."""
    jar = _jar_remembered if remember else _run_tokenizer
    outs: list[list[str | None]] = []
    shared: list[tuple[int, int]] = []
    last: list[tuple[int, int]] = []
    files: list[list[tuple[int, int]]] = []
    for k, lines in enumerate(batches):
        if any(b in s for s in lines for b in _LINE_BREAKS):
            outs.append([None] * len(lines))
            files.append([(k, i) for i in range(len(lines))])
            continue
        outs.append([tokenize_line(s) for s in lines])
        missing = [i for i, t in enumerate(outs[k]) if t is None]
        if not missing:
            continue
        part = [(k, i) for i in _with_context(lines, missing)]
        end = part[-1][1]
        if end < len(lines) - 1 or (outs[k][end] is not None and lines[end].strip(_BLANK)):
            shared.extend(part)  # ends on a non-blank line only there for the look-ahead: what follows it is moot
        elif not last:
            last = part
        else:
            files.append(part)
    if shared or last:
        files.insert(0, shared + last)
    for file in files:
        for (k, i), tokens in zip(file, jar([batches[k][i] for k, i in file])):
            if outs[k][i] is None:
                outs[k][i] = tokens
    return outs  # type: ignore[return-value]


def _disk_path(kind: str, lines: list[str]) -> Path:
    digest = hashlib.sha256(f"{_DISK_VERSION}\0{kind}\0".encode())
    digest.update("\n".join(lines).encode("utf-8", "surrogatepass"))
    return cache_root() / "ptb" / ("jar" if kind == "jar-file" else "") / f"{digest.hexdigest()}.json"


def _read_disk(path: Path, count: int) -> list[str] | None:
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(tokens, list) and len(tokens) == count and all(isinstance(t, str) for t in tokens)
    return tokens if ok else None


def _write_disk(path: Path, tokens: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps(tokens, ensure_ascii=False))
    except OSError:
        pass  # the cache is an optimisation: a read-only or full cache folder only costs time


def tokenize_batches(batches: list[list[str]], cache: bool = True, engine: str = "auto",
                     persist: tuple[bool, ...] = ()) -> list[list[str]]:
    """:func:`tokenize` for several batches at once (each tokenised as the reference tokenises it alone);
    the ``auto`` engine runs the jar at most once for all of them.  ``persist[k]``: keep batch ``k`` on disk."""
    if engine not in ENGINES:
        raise InputError(f"unknown tokenizer {engine!r}; choose from {', '.join(ENGINES)}")
    all_lines = [[s.replace("\n", " ") for s in batch] for batch in batches]
    if not cache:
        if engine == "auto":
            return _auto(all_lines, remember=False)
        return [_run_tokenizer(lines) if lines else [] for lines in all_lines]
    results: list[list[str] | None] = []
    paths: list[Path | None] = []
    for k, lines in enumerate(all_lines):
        key = (engine, tuple(lines))
        path = _disk_path(engine, lines) if k < len(persist) and persist[k] and lines else None
        paths.append(path)
        found = _cache.get(key) if lines else []
        if found is None and path is not None:
            found = _read_disk(path, len(lines))
        results.append(None if found is None else list(found))
    todo = [k for k, r in enumerate(results) if r is None]
    if engine == "auto":
        fresh = _auto([all_lines[k] for k in todo])
    else:
        fresh = [_run_tokenizer(all_lines[k]) for k in todo]
    for k, tokens in zip(todo, fresh):
        results[k] = tokens
        if paths[k] is not None:
            _write_disk(paths[k], tokens)
    for lines, tokens in zip(all_lines, results):
        if lines:
            if len(_cache) >= _CACHE_BATCHES:
                _cache.pop(next(iter(_cache)))
            _cache[(engine, tuple(lines))] = list(tokens)
    return results  # type: ignore[return-value]


def tokenize(sentences: list[str], cache: bool = True, engine: str = "auto", persist: bool = False) -> list[str]:
    """PTB-tokenised, lower-cased, punctuation-free form of each sentence (tokens joined by spaces).

    The result is pycocoevalcap's for the same batch.  ``engine`` is ``auto`` (Python rules, the jar for
    the rest) or ``jar`` (the whole batch through the jar, as the reference does); ``cache=False``
    always tokenises (for timing it: no cache, in memory or on disk); ``persist=True`` keeps the
    batch's tokens on disk (ground truth).
    """
    return tokenize_batches([list(sentences)], cache, engine, (persist,))[0]
