"""PTB tokenisation exactly as the COCO caption evaluation does it.

pycocoevalcap runs Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase`` over a file
with one caption per line, then drops punctuation tokens (``-lrb-`` stays, because the punctuation
list has upper-case ``-LRB-``).  Two engines give that result:

- ``jar``: the same jar with the same options over every sentence of a call, one per line (one Java
  process per call, as the reference does; the lines come on its standard input, which gives the
  tokens of the same lines in a file), so the tokens are the reference's by construction;
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
is the jar's output for each run of lines the ``auto`` engine gives it (in ``ptb/jar``, named by a
hash of the run's text and whether it ends its batch), so a sentence outside the rules that was seen
before with the same following lines needs no Java either, whatever batches it came with.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
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


def _start_tokenizer() -> subprocess.Popen:
    """The reference jar's PTBTokenizer with the reference's options, reading its lines from stdin (the
    tokens are those of the same lines in a file); the JVM starts up while the caller finds the lines."""
    jar = jar_path("pycocoevalcap.tokenizer", "stanford-corenlp-3.4.1.jar")
    return subprocess.Popen([java(), "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines",
                             "-lowerCase"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _run_tokenizer(sentences: list[str], started: subprocess.Popen | None = None) -> list[str]:
    """The jar's tokens of ``sentences`` as one file of lines, punctuation removed; ``started``: a process
    from :func:`_start_tokenizer` to give them to (default: a new one)."""
    proc = started if started is not None else _start_tokenizer()
    out, err = proc.communicate("\n".join(s.replace("\n", " ") for s in sentences).encode())
    if proc.returncode != 0:
        raise MissingDependencyError(f"the PTB tokenizer (Java) failed: {err.decode(errors='replace')[-300:]}")
    lines = out.decode().split("\n")
    if len(lines) < len(sentences):
        raise MissingDependencyError(f"the PTB tokenizer returned {len(lines)} lines for {len(sentences)} sentences")
    return [" ".join(w for w in line.rstrip().split(" ") if w not in PUNCTUATIONS) for line in lines[:len(sentences)]]


def _runs(lines: list[str], tokens: list[str | None]) -> list[list[int]]:
    """The lines to give the jar so each line without ``tokens`` sees the text that follows it in the batch
    (the line, then the following lines up to and including the next non-blank one, or to the end), cut
    into runs whose tokens depend on nothing outside them: a run ends before a gap or after a non-blank
    line that is there only for the look-ahead (its own tokens are moot)."""
    keep: set[int] = set()
    for i, t in enumerate(tokens):
        if t is not None:
            continue
        keep.add(i)
        k = i + 1
        while k < len(lines):
            keep.add(k)
            if lines[k].strip(_BLANK):
                break
            k += 1
    runs: list[list[int]] = []
    for i in sorted(keep):
        closed = runs and (runs[-1][-1] != i - 1 or (tokens[i - 1] is not None and lines[i - 1].strip(_BLANK)))
        if not runs or closed:
            runs.append([])
        runs[-1].append(i)
    return runs


def _auto(batches: list[list[str]], remember: bool = True, early: bool = False) -> list[list[str]]:
    """Each batch's tokens as the reference gives them for that batch alone, with as few jar runs as
    possible.  The sentences of every batch outside the rules go to one file, in runs (:func:`_runs`);
    the one run that must see its batch's end goes last (the jar sees the end of the file there too);
    any other such run, and any batch holding a line break inside a sentence, gets a file of its own.
    With ``remember`` the jar's tokens of each run are kept on disk, named by the run's text and whether
    it ends its batch (they depend on nothing else), and a run seen before needs no jar.  With ``early``
    (new ground truth: some of its sentences will need the jar) the jar starts before the rules run and
    is stopped if nothing needs it."""
    started = None
    if early:
        with contextlib.suppress(MissingDependencyError):  # raised only if the jar turns out to be needed
            started = _start_tokenizer()
    try:
        return _auto_runs(batches, remember, started)
    finally:
        if started is not None and started.returncode is None:
            started.kill()
            started.communicate()


def _auto_runs(batches: list[list[str]], remember: bool, started: subprocess.Popen | None) -> list[list[str]]:
    """:func:`_auto`'s work; the first jar file goes to ``started`` when there is one."""
    outs: list[list[str | None]] = []
    runs: list[tuple[list[tuple[int, int]], bool, bool]] = []  # (lines, sees the end of its batch, needs a file alone)
    for k, lines in enumerate(batches):
        text = "".join(lines)
        if any(b in text for b in _LINE_BREAKS):
            outs.append([None] * len(lines))
            runs.append(([(k, i) for i in range(len(lines))], True, True))
            continue
        outs.append([tokenize_line(s) for s in lines])
        for run in _runs(lines, outs[k]):
            end = run[-1]
            closed = end < len(lines) - 1 or (outs[k][end] is not None and lines[end].strip(_BLANK))
            runs.append(([(k, i) for i in run], not closed, False))
    paths = [_disk_path("jar-end" if ends else "jar-run", [batches[k][i] for k, i in run]) if remember else None
             for run, ends, _ in runs]
    todo = []
    for (run, ends, alone), path in zip(runs, paths):
        tokens = _read_disk(path, len(run)) if path is not None else None
        if tokens is None:
            todo.append((run, ends, alone, path))
        else:
            _fill(outs, run, tokens)
    shared = [t for t in todo if not t[1]]
    ending = [t for t in todo if t[1] and not t[2]]
    files = [shared + ending[:1]] if shared or ending else []
    files += [[t] for t in ending[1:]] + [[t] for t in todo if t[2]]
    for n, file in enumerate(files):
        lines = [batches[k][i] for run, *_ in file for k, i in run]
        tokens = _run_tokenizer(lines, started) if n == 0 and started is not None else _run_tokenizer(lines)
        for run, _, _, path in file:
            part, tokens = tokens[:len(run)], tokens[len(run):]
            _fill(outs, run, part)
            if path is not None:
                _write_disk(path, part)
    return outs  # type: ignore[return-value]


def _fill(outs: list[list[str | None]], run: list[tuple[int, int]], tokens: list[str]) -> None:
    """Give each line of ``run`` that has no tokens yet its ``tokens`` from the jar."""
    for (k, i), t in zip(run, tokens):
        if outs[k][i] is None:
            outs[k][i] = t


def _disk_path(kind: str, lines: list[str]) -> Path:
    digest = hashlib.sha256(f"{_DISK_VERSION}\0{kind}\0".encode())
    digest.update("\n".join(lines).encode("utf-8", "surrogatepass"))
    return cache_root() / "ptb" / ("jar" if kind.startswith("jar-") else "") / f"{digest.hexdigest()}.json"


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
        fresh = _auto([all_lines[k] for k in todo], early=any(paths[k] is not None for k in todo))
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
