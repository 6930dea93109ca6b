"""Hostile inputs against ``describe``, ``export``, ``evaluate``, ``batch`` and ``serve``.

Bad files and options, scripts edited by hand, attacks on the review server, interruptions and a
full disk.  Each case states what must happen: bad input ends in exactly one ``error:`` line with
exit code 2 (no traceback, no ``internal error``), and leaves the files it was given and the output
folder as they were; what is accepted gives the right output and says what it did (a warning
naming the encoding it guessed, one warning for a truncated video); every HTTP request gets a
proper status; Ctrl+C is ``interrupted`` and exit code 130; resume after SIGKILL gives the same
script.  Media are generated (ffmpeg, espeak-ng); nothing is downloaded.

    .venv/bin/python scripts/hostile_inputs.py              # every case; prints failures and the count
    .venv/bin/python scripts/hostile_inputs.py -k server    # only cases whose name contains "server"
    .venv/bin/python scripts/hostile_inputs.py --list       # the case names

Command cases run ``cinescribe.cli.main`` in this process (the CLI entry point, without the
start-up cost of one process per case); the interruption cases run real processes.  The full-disk
cases write into a 64 KiB tmpfs when this runs as root, else into a folder whose writes fail with
ENOSPC.  Exit code 0 when every case passes.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cinescribe import cli  # noqa: E402
from cinescribe.demo import make_test_video  # noqa: E402

FAST = ["--no-objects", "--no-faces", "--no-poses", "--no-ocr", "--vad", "energy", "-q"]
SPEECH = [(0.5, "Hello, can you hear me?"), (4.2, "Yes, loud and clear."), (7.6, "Good.")]
SHOTS = [("astronaut", 3.0), ("coffee", 2.5), ("astronaut", 2.0), ("chelsea", 2.5)]


@dataclass
class Case:
    name: str
    run: Callable[[], None]


CASES: list[Case] = []


def case(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def add(fn: Callable[[], None]) -> Callable[[], None]:
        CASES.append(Case(name, fn))
        return fn
    return add


class Failed(Exception):
    pass


def check(cond: bool, detail: str) -> None:
    if not cond:
        raise Failed(detail)


# --- running the CLI ---------------------------------------------------------------------------------------

def run_cli(*args: str | Path) -> tuple[int, str]:
    """``cinescribe ARGS`` in this process: (exit code, stderr)."""
    err = io.StringIO()
    old_argv = sys.argv
    sys.argv = ["cinescribe", *map(str, args)]
    code = 0
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old_argv
    return code, err.getvalue()


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file under ``folders`` -> SHA-256 of its bytes."""
    out = {}
    for folder in folders:
        if folder.is_file():
            out[str(folder)] = hashlib.sha256(folder.read_bytes()).hexdigest()
        elif folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def refused(args: list, *needles: str, keep: tuple[Path, ...] = (), absent: Path | None = None) -> None:
    """``cinescribe ARGS`` must fail with one ``error:`` line (holding ``needles``), exit code 2,
    the files under ``keep`` byte-identical and ``absent`` not created."""
    before = snapshot(*keep)
    code, err = run_cli(*args)
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    check(code == 2, f"exit code {code}, expected 2: {err.strip()[-300:]}")
    check("Traceback" not in err and "internal error" not in err, f"not a one-line error: {err.strip()[-300:]}")
    check(len(errors) == 1, f"{len(errors)} error lines: {err.strip()[-300:]}")
    for needle in needles:
        check(needle in errors[0], f"{needle!r} not in {errors[0]!r}")
    check(snapshot(*keep) == before, "a file it was given or an earlier output changed")
    if absent is not None:
        check(not absent.exists() or not any(absent.iterdir()), f"{absent} was left behind")


def accepted(args: list, *needles: str) -> str:
    """``cinescribe ARGS`` must succeed; ``needles`` in its stderr; returns the stderr."""
    code, err = run_cli(*args)
    check(code == 0, f"exit code {code}: {err.strip()[-300:]}")
    check("Traceback" not in err, err[-300:])
    for needle in needles:
        check(needle in err, f"{needle!r} not in the output: {err.strip()[-300:]}")
    return err


# --- inputs ------------------------------------------------------------------------------------------------

class World:
    """The generated inputs every case starts from (made once)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        media = root / "media"
        media.mkdir()
        self.video = make_test_video(media / "speech.mp4", speech=SPEECH, shots=SHOTS).path
        self.silent = make_test_video(media / "silent.mp4", shots=[("red", 1.0), ("blue", 1.0)], audio=False).path
        self.audio_only = make_test_video(media / "audio.m4a", speech=[(0.4, "Audio only.")], video=False,
                                          duration=2.0).path
        data = self.video.read_bytes()
        self.head = self._file("head.mp4", data[: len(data) // 50])
        self.half = self._file("half.mp4", data[: len(data) // 2])
        self.empty = self._file("empty.mp4", b"")
        self.text_mp4 = self._file("notes.mp4", b"these are my notes, not a film\n" * 50)
        self.noise = self._file("noise.mp4", os.urandom(200_000))
        self.ref = root / "ref"
        code, err = run_cli("describe", self.video, "-o", self.ref, *FAST)
        if code != 0:
            raise SystemExit(f"cannot describe the test video: {err}")
        self.json = self.ref / "speech.ad.json"
        self.doc = json.loads(self.json.read_text())
        self.described = json.loads(self.json.read_text())  # as describe wrote it, for the resume case
        roomy = [d for d in self.doc["descriptions"] if d["word_budget"] >= 3][:2]
        for d in roomy:  # the writer says nothing from pixels alone: two ADs get a describer's text
            d["text"] = d["text"] or "A cup appears."
        self.json.write_text(json.dumps(self.doc, indent=1))
        self.spoken = [d for d in self.doc["descriptions"] if d["text"]]
        self._n = 0

    def _file(self, name: str, data: bytes) -> Path:
        p = self.root / "media" / name
        p.write_bytes(data)
        return p

    def fresh(self, name: str = "case") -> Path:
        """A new empty folder."""
        self._n += 1
        p = self.root / f"{name}-{self._n}"
        p.mkdir()
        return p

    def text(self, name: str, data: str | bytes) -> Path:
        p = self.fresh() / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    def script_copy(self, change: Callable[[dict], None] | None = None, raw: str | None = None,
                    with_video: bool = True) -> Path:
        """A folder with the video and a copy of the described JSON, changed by ``change`` (or replaced by ``raw``)."""
        folder = self.fresh("script")
        if with_video:
            shutil.copyfile(self.video, folder / "speech.mp4")
        doc = json.loads(json.dumps(self.doc))
        doc["video"]["path"] = str(folder / "speech.mp4")
        if change:
            change(doc)
        (folder / "speech.ad.json").write_text(raw if raw is not None else json.dumps(doc, indent=1))
        return folder / "speech.ad.json"


W: World


def first_spoken(doc: dict) -> dict:
    return next(d for d in doc["descriptions"] if d["text"])


# --- describe ----------------------------------------------------------------------------------------------

def describe_refused(*args: str, needle: str = "", video: Path | None = None) -> None:
    out = W.fresh("out") / "out"
    refused(["describe", video or W.video, "-o", out, *FAST, *args], *([needle] if needle else []),
            keep=(W.video,), absent=out)


for _name, _video, _needle in [("missing file", "nope.mp4", "no such file"), ("zero-byte file", "empty", "empty"),
                               ("text file named .mp4", "text_mp4", "not a readable media file"),
                               ("random bytes", "noise", "not a readable media file"),
                               ("a folder", "folder", "folder"), ("audio only", "audio_only", "no video stream"),
                               ("truncated at the head", "head", "")]:
    def _describe_bad_file(v=_video, n=_needle):
        video = {"nope.mp4": W.root / "nope.mp4", "folder": W.root / "media"}.get(v) or getattr(W, v)
        describe_refused(needle=n, video=video)
    case(f"describe: {_name}")(_describe_bad_file)

for _opt, _values in {"--min-gap": ["nan", "inf", "-1", "0", "1e9"], "--words-per-second": ["nan", "inf", "0", "-2", "100"],
                      "--speech-margin": ["nan", "-1", "inf"], "--max-slot": ["nan", "0.5", "inf"],
                      "--shot-fps": ["nan", "0", "1000"], "--keyframes": ["0", "100", "-1"],
                      "--max-side": ["10", "100000"], "--vad": ["nope"], "--keyframe-selector": ["nope"],
                      "--formats": ["docx", ","]}.items():
    for _value in _values:
        case(f"describe: {_opt} {_value}")(lambda o=_opt, v=_value: describe_refused(o, v, needle=o if o != "--formats" else ""))


@case("describe: --polish-model is not a folder")
def _():
    describe_refused("--polish-model", str(W.root / "no-lm"), needle="--polish-model")


@case("describe: --model is not a folder")
def _():
    describe_refused("--model", str(W.root / "no-model"), needle="--model")


@case("describe: --model-lm without --model")
def _():
    describe_refused("--model-lm", str(W.root), needle="--model-lm")


for _name, _subs, _needle in [
    ("missing", None, "no such file"), ("binary", b"\x00\x01\x02" * 100, "binary"),
    ("bad timestamp", "1\n00:00:01,000 --> 00:00:xx,000\nHello\n", "bad timestamp"),
    ("cue ends before it starts", "1\n00:00:05,000 --> 00:00:01,000\nHello\n", "before it starts"),
    ("empty", "", "empty"), ("no timing line", "just some words\nand more\n", "not a subtitle file"),
    ("a folder", "folder", "folder"),
]:
    def _subs_bad(s=_subs, n=_needle):
        if s is None:
            path = W.root / "nope.srt"
        elif s == "folder":
            path = W.fresh()
        else:
            path = W.text("bad.srt", s)
        describe_refused("--subtitles", str(path), needle=n)
    case(f"describe: subtitles {_name}")(_subs_bad)


@case("describe: -o is a file")
def _():
    blocker = W.text("a-file", "x")
    refused(["describe", W.video, "-o", blocker, *FAST], "not a folder", keep=(blocker,))


@case("describe: -o under a file")
def _():
    blocker = W.text("a-file", "x")
    refused(["describe", W.video, "-o", blocker / "out", *FAST], "output folder", keep=(blocker,))


@case("describe: cp1252 subtitles are read with a warning naming the encoding")
def _():
    subs = W.text("legacy.srt", "1\n00:00:00,500 --> 00:00:02,000\nCaf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet.\n"
                  .encode("cp1252"))
    out = W.fresh("out")
    accepted(["describe", W.video, "-o", out, "--subtitles", subs, *FAST], "read it as cp1252")


@case("describe: a truncated video is described with one warning")
def _():
    err = accepted(["describe", W.half, "-o", W.fresh("out"), *FAST])
    check(err.count("looks truncated") == 1, f"{err.count('looks truncated')} truncation warnings: {err[-300:]}")


@case("describe: a video without audio is described whole with a warning")
def _():
    accepted(["describe", W.silent, "-o", W.fresh("out"), *FAST], "no audio")


@case("describe: Ctrl+C prints interrupted, exits 130 and writes no outputs")
def _():
    out = W.fresh("out") / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cinescribe", "describe", str(W.video), "-o", str(out), *FAST],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for(lambda: out.exists(), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    check(proc.returncode == 130, f"exit code {proc.returncode}: {err[-300:]}")
    check(err.strip().splitlines()[-1:] == ["interrupted"], f"last line is not 'interrupted': {err[-300:]}")
    check(not any(p.suffix in (".json", ".vtt", ".srt") for p in out.glob("*")) if out.exists() else True,
          "outputs written")


@case("describe: resume after SIGKILL gives the same script")
def _():
    out = W.fresh("out")
    journal = out / ".speech.ad.journal.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "cinescribe", "describe", str(W.video), "-o", str(out), *FAST],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    _wait_for(lambda: journal.exists() and journal.read_text().count("\n") >= 2, proc)
    proc.kill()
    proc.wait()
    accepted(["describe", W.video, "-o", out, *FAST])
    mine, ref = json.loads((out / "speech.ad.json").read_text()), W.described
    check(mine["descriptions"] == ref["descriptions"], "the resumed script differs from an uninterrupted run")
    check(not journal.exists(), "the journal was left behind")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen, limit: float = 300) -> None:
    end = time.monotonic() + limit
    while not cond():
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            raise Failed("the run ended (or stalled) before it could be interrupted")
        time.sleep(0.05)


# --- full disk ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def full_disk():
    """A folder whose writes fail with ENOSPC: a 64 KiB tmpfs (root), else a monkeypatched write."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-full-"))
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                                                   capture_output=True).returncode == 0
    try:
        if mounted:
            fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
            try:  # fill it: folders and empty files can still be made, no byte can be written
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass
            finally:
                os.close(fd)
            yield folder
        else:
            import cinescribe.atomic as atomic

            real, real_fsync = atomic.tempfile.mkstemp, os.fsync

            def full(*a, **k):
                if str(k.get("dir", "")).startswith(str(folder)):
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real(*a, **k)

            def full_fsync(fd):  # the describe journal's writes
                if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real_fsync(fd)

            atomic.tempfile.mkstemp, os.fsync = full, full_fsync
            try:
                yield folder
            finally:
                atomic.tempfile.mkstemp, os.fsync = real, real_fsync
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@case("full disk: export names the file, exits 2 and leaves nothing")
def _():
    with full_disk() as disk:
        out = disk / "out"
        out.mkdir()
        refused(["export", W.json, "-o", out, "--formats", "vtt,srt,ttml"], "cannot write", keep=(W.ref,), absent=out)


@case("full disk: describe names the file, exits 2 and leaves nothing")
def _():
    with full_disk() as disk:
        out = disk / "out"
        refused(["describe", W.video, "-o", out, *FAST], "cannot write", keep=(W.video,), absent=out)


# --- export ------------------------------------------------------------------------------------------------

def export_refused(path: Path, *args: str, needle: str = "") -> None:
    refused(["export", path, *args], *([needle] if needle else []), keep=(path.parent,))


def _set(field: str, value):
    def change(doc: dict) -> None:
        first_spoken(doc)[field] = value
    return change


for _name, _change, _needle in [
    ("start is a string", _set("start", "abc"), "expected a number"),
    ("start is NaN", None, "expected a number"),
    ("start after end", lambda d: first_spoken(d).update(start=first_spoken(d)["end"] + 1.0), "must be before end"),
    ("negative start", _set("start", -1.0), "not negative"),
    ("index is true", _set("index", True), "expected an integer"),
    ("index is 1.5", _set("index", 1.5), "expected an integer"),
    ("index is a string", _set("index", "1"), "expected an integer"),
    ("text is a number", _set("text", 42), "expected a string"),
    ("word_budget is a string", _set("word_budget", "five"), "expected an integer"),
    ("10,000-word AD", _set("text", " ".join(["word"] * 10_000)), "at most 500"),
    ("AD past the end of the video", _set("end", 60.0), "after the end of the video"),
    ("dialogue is not a list", lambda d: d["timeline"].update(dialogue="all of it"), "list of intervals"),
    ("descriptions missing", lambda d: d.pop("descriptions"), "missing field 'descriptions'"),
    ("wrong schema", lambda d: d.update(schema="something/9"), "not a cinescribe AD script"),
]:
    def _export_bad(c=_change, n=_needle, name=_name):
        if name == "start is NaN":
            path = W.script_copy(raw=W.json.read_text().replace(f'"start": {first_spoken(W.doc)["start"]}',
                                                                '"start": NaN', 1))
        else:
            path = W.script_copy(c)
        export_refused(path, "--formats", "vtt,srt,ttml,wav", needle=n)
    case(f"export: {_name}")(_export_bad)


def _all_spoken(doc: dict) -> list[dict]:
    for d in doc["descriptions"]:
        d["text"] = d["text"] or "A cat."
    return doc["descriptions"]


def _duplicate(doc: dict) -> None:
    spoken = _all_spoken(doc)
    spoken[1]["index"] = spoken[0]["index"]


def _overlap(doc: dict) -> None:
    spoken = _all_spoken(doc)
    spoken[1]["start"] = spoken[0]["end"] - 0.2


case("export: duplicate AD indexes")(lambda: export_refused(W.script_copy(_duplicate), "--formats", "vtt",
                                                            needle="each needs its own"))
case("export: two ADs overlap")(lambda: export_refused(W.script_copy(_overlap), "--formats", "mix",
                                                       needle="overlaps AD"))

for _name, _raw, _needle in [("not JSON", "this is not JSON", "corrupted JSON"),
                             ("truncated JSON", '{"schema": "cinescribe.ad-script/1", "video": ', "corrupted JSON"),
                             ("a JSON list", "[1, 2, 3]", "not a cinescribe AD script"),
                             ("binary", "\x00\x01\x02\xff", "")]:
    case(f"export: {_name}")(lambda r=_raw, n=_needle: export_refused(W.script_copy(raw=r), needle=n))


@case("export: missing JSON")
def _():
    refused(["export", W.root / "nope.ad.json"], "no such file")


@case("export: a folder without a JSON")
def _():
    refused(["export", W.fresh()], "expected exactly one")


@case("export: a folder with two JSONs")
def _():
    folder = W.fresh()
    for name in ("a.ad.json", "b.ad.json"):
        shutil.copyfile(W.json, folder / name)
    refused(["export", folder], "found 2", keep=(folder,))


for _opt, _value in [("--formats", "docx"), ("--formats", ","), ("--voice", "nope"), ("--max-rate", "nan"),
                     ("--max-rate", "0.5"), ("--max-rate", "5"), ("--duck-db", "nan"), ("--duck-db", "10"),
                     ("--duck-db", "-100"), ("--ramp", "0"), ("--ramp", "inf"), ("--pan", "2"), ("--pan", "nan"),
                     ("--ad-gain-db", "50"), ("--language", "english"), ("--language", "EN")]:
    case(f"export: {_opt} {_value}")(lambda o=_opt, v=_value: export_refused(W.script_copy(), o, v))


@case("export: --video missing")
def _():
    path = W.script_copy()
    export_refused(path, "--video", str(W.root / "nope.mp4"), "--formats", "mix", needle="no such file")


@case("export: --video is another video")
def _():
    path = W.script_copy()
    export_refused(path, "--video", str(W.silent), "--formats", "mix", needle="not the video this AD script")


@case("export: -o under a file")
def _():
    blocker = W.text("a-file", "x")
    refused(["export", W.script_copy(), "-o", blocker / "out"], "output folder", keep=(blocker,))


@case("export: mix of a moved folder whose video is gone says where it looked")
def _():
    path = W.script_copy(with_video=False)
    doc = json.loads(path.read_text())
    doc["video"]["path"] = "/elsewhere/speech.mp4"
    path.write_text(json.dumps(doc))
    export_refused(path, "--formats", "mix", needle="looked for /elsewhere/speech.mp4 and")


@case("export: mix of a moved folder finds the video beside the JSON")
def _():
    path = W.script_copy()
    doc = json.loads(path.read_text())
    doc["video"]["path"] = "/elsewhere/speech.mp4"
    path.write_text(json.dumps(doc))
    accepted(["export", path, "--formats", "mix", "--voice", "espeak"])
    check((path.parent / "speech.ad.mix.wav").is_file(), "no mix written")


@case("export: a blank line in an AD does not add or cut a cue")
def _():
    from cinescribe.media.subtitles import parse_subtitles

    path = W.script_copy(_set("text", "A cat.\n\n99\n00:00:00,000 --> 00:00:09,000\nInjected."))
    accepted(["export", path, "--formats", "vtt,srt"])
    n = len(W.spoken)
    for ext in ("srt", "vtt"):
        cues = parse_subtitles(path.parent / f"speech.ad.{ext}")
        check(len(cues) == n, f"{ext}: {len(cues)} cues for {n} ADs")


@case("export: markup in an AD is not markup in the SRT")
def _():
    path = W.script_copy(_set("text", "<script>x</script> <b>bold</b> {\\an8}top"))
    accepted(["export", path, "--formats", "srt,vtt,ttml"])
    srt = (path.parent / "speech.ad.srt").read_text()
    check(not any(m in srt for m in ("<script>", "<b>", "{\\an8}")), "markup reached the SRT")
    check("<script>" not in (path.parent / "speech.ad.vtt").read_text(), "markup reached the VTT")


@case("export: an AD over dialogue is exported with a warning")
def _():
    def over(doc: dict) -> None:
        iv = doc["timeline"]["dialogue"][0]
        d = first_spoken(doc)
        d["start"], d["end"] = max(0.0, iv["end"] - 0.5), max(0.0, iv["end"] - 0.5) + 1.5
    path = W.script_copy(over)
    accepted(["export", path, "--formats", "vtt"], "overlaps dialogue")


# --- evaluate ----------------------------------------------------------------------------------------------

GT = "film,start,end,text\nf1,1.0,2.0,A man walks in.\nf1,3.0,4.0,She smiles at him.\nf1,5.0,6.5,They sit down.\n"


def evaluate_refused(pred: str | Path, gt: str | Path, *args: str, needle: str = "") -> None:
    pred = pred if isinstance(pred, Path) else W.text("pred.csv", pred)
    gt = gt if isinstance(gt, Path) else W.text("gt.csv", gt)
    out = W.fresh("eval") / "out"
    refused(["evaluate", "--pred", pred, "--gt", gt, "-o", out, "-q", "--metrics", "bleu", *args],
            *([needle] if needle else []), keep=(pred, gt), absent=out)


for _name, _gt, _needle in [
    ("binary", b"\x00\x01\x02" * 50, "binary"), ("empty", "", "empty file"), ("header only", "film,start,end,text\n", "no ADs"),
    ("missing column", "film,start,text\nf1,1,x\n", "missing column"),
    ("start is not a number", "film,start,end,text\nf1,abc,2,x\n", "not a number"),
    ("negative start", "film,start,end,text\nf1,-1,2,x\n", ">= 0"), ("end before start", "film,start,end,text\nf1,3,2,x\n", "not after"),
    ("NaN start", "film,start,end,text\nf1,nan,2,x\n", "finite"), ("infinite end", "film,start,end,text\nf1,1,inf,x\n", "finite"),
    ("empty text", "film,start,end,text\nf1,1,2,\n", "empty AD text"),
    ("same key, other text", "film,start,end,text\nf1,1,2,x\nf1,1,2,y\n", "duplicate key"),
    ("bad JSON", "{not json", "invalid JSON"),
]:
    case(f"evaluate: ground truth {_name}")(
        lambda g=_gt, n=_needle: evaluate_refused(GT, W.text("gt.json" if g == "{not json" else "gt.csv", g), needle=n))

for _args, _needle in [(["--metrics", "bleu,nope"], "nope"), (["--recall", "5/0"], ""), (["--recall", "x"], ""),
                       (["--match", "nope"], "nope"), (["--gt-format", "nope"], "nope")]:
    case(f"evaluate: {' '.join(_args)}")(lambda a=_args, n=_needle: evaluate_refused(GT, GT, *a, needle=n))


@case("evaluate: missing predictions")
def _():
    evaluate_refused(W.root / "nope.csv", GT, needle="no such file")


@case("evaluate: --charbank is not JSON")
def _():
    evaluate_refused(GT, GT, "--charbank", str(W.text("cast.json", "{nope")), needle="invalid JSON")


@case("evaluate: a cp1252 MAD-Eval file is read with a warning naming the encoding")
def _():
    mad = ("movie,sentence,start,end,movie_duration\n1005_Signs,\"\u201cSomeone\u2019s there,\u201d she whispers "
           "\u2013 caf\u00e9.\",10.5,12.0,6000\n1005_Signs,Zo\u00eb smiles na\u00efvely.,13.0,15.0,6000\n")
    gt = W.text("mad_eval.csv", mad.encode("cp1252"))
    pred = W.text("pred.csv", "film,start,end,text\n1005_Signs,10.5,12.0,She whispers.\n1005_Signs,13,15,Zoe smiles.\n")
    accepted(["evaluate", "--pred", pred, "--gt", gt, "-o", W.fresh("eval"), "--metrics", "bleu", "-q"],
             "read it as cp1252")


@case("evaluate: UTF-16 with a byte-order mark is read")
def _():
    gt = W.text("gt16.csv", GT.encode("utf-16"))
    accepted(["evaluate", "--pred", W.text("pred.csv", GT), "--gt", gt, "-o", W.fresh("eval"), "--metrics", "bleu", "-q"])


# --- batch -------------------------------------------------------------------------------------------------

for _args, _needle in [(["--workers", "0"], "--workers"), (["--cpus-per-worker", "nan"], "--cpus-per-worker"),
                       (["--cpus-per-worker", "0"], "--cpus-per-worker"), (["--max-attempts", "0"], "--max-attempts"),
                       (["--backend", "nope"], "--backend"), (["--min-gap", "nan"], "--min-gap"),
                       (["--formats", "vtt,wav"], "cinescribe export")]:
    case(f"batch: {' '.join(_args)}")(lambda a=_args, n=_needle: refused(
        ["batch", W.root / "media", "-o", W.fresh("batch") / "out", "--backend", "processes", *a, *FAST[:-1]], n))


@case("batch: missing source")
def _():
    refused(["batch", W.root / "nope", "-o", W.fresh("batch") / "out"], "no such folder")


@case("batch: a folder without videos")
def _():
    refused(["batch", W.fresh(), "-o", W.fresh("batch") / "out", "--backend", "processes"])


# --- serve (command line) ----------------------------------------------------------------------------------

@case("serve: missing folder")
def _():
    refused(["serve", W.root / "nope"], "no such file")


@case("serve: port out of range")
def _():
    refused(["serve", W.script_copy().parent, "--port", "99999"], "--port")


@case("serve: port in use")
def _():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        refused(["serve", W.script_copy().parent, "--port", str(s.getsockname()[1])], "in use")


@case("serve: another video")
def _():
    refused(["serve", W.script_copy().parent, "--video", W.silent], "not the video this AD script")


@case("serve: corrupted JSON")
def _():
    refused(["serve", W.script_copy(raw='{"schema": ').parent], "corrupted JSON")


@case("serve: Ctrl+C prints interrupted and exits 130")
def _():
    folder = W.script_copy().parent
    proc = subprocess.Popen([sys.executable, "-m", "cinescribe", "serve", str(folder), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        while proc.poll() is None and "Review page" not in proc.stderr.readline():
            pass
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        timer.cancel()
    check(proc.returncode == 130 and err.strip().splitlines()[-1:] == ["interrupted"],
          f"exit code {proc.returncode}, stderr {err[-200:]!r}")


# --- the review server over HTTP ---------------------------------------------------------------------------

class Server:
    """A review server on a copy of the described folder, in this process."""

    def __init__(self) -> None:
        from cinescribe.export.pipeline import ExportConfig
        from cinescribe.export.review.server import Review, make_server

        self.json = W.script_copy()
        self.folder = self.json.parent
        self.srv = make_server(Review(self.folder, formats=("vtt",), cfg=ExportConfig(voice="espeak")), 0)
        self.srv.RequestHandlerClass.timeout = 2.0
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()

    def raw(self, head: str, body: bytes = b"", wait: float = 10.0) -> tuple[int | None, bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=wait) as s:
            with contextlib.suppress(OSError):
                s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
            reply = b""
            with contextlib.suppress(socket.timeout, OSError):
                while True:
                    if b"\r\n\r\n" in reply:
                        head_end = reply.index(b"\r\n\r\n") + 4
                        length = next((int(ln.split(b":")[1]) for ln in reply[:head_end].split(b"\r\n")
                                       if ln.lower().startswith(b"content-length:")), 0)
                        if len(reply) >= head_end + length:
                            break
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
        return (int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None), reply

    def get(self, path: str, host: str | None = None, extra: str = "") -> tuple[int | None, bytes]:
        return self.raw(f"GET {path} HTTP/1.1\nHost: {host or f'127.0.0.1:{self.port}'}{extra}")

    def post(self, path: str, body: bytes | str | dict, length: str | None = None, ctype: str = "application/json",
             extra: str = "") -> tuple[int | None, bytes]:
        data = json.dumps(body).encode() if isinstance(body, dict) else (body.encode() if isinstance(body, str) else body)
        length_header = "" if length == "none" else f"\nContent-Length: {len(data) if length is None else length}"
        return self.raw(f"POST {path} HTTP/1.1\nHost: 127.0.0.1:{self.port}\nContent-Type: {ctype}{length_header}{extra}",
                        data)

    def revision(self) -> str:
        return json.loads(self.get("/api/script")[1].split(b"\r\n\r\n", 1)[1])["revision"]


def http_case(name: str, expected: int | tuple[int, ...], request: Callable[[Server], tuple[int | None, bytes]],
              json_unchanged: bool = True, body_has: bytes = b"") -> None:
    def run() -> None:
        server = Server()
        try:
            before = server.json.read_bytes()
            status, reply = request(server)
            want = expected if isinstance(expected, tuple) else (expected,)
            check(status in want, f"status {status}, expected {want}: {reply[:200]!r}")
            check(body_has in reply, f"{body_has!r} not in the reply {reply[:300]!r}")
            if json_unchanged:
                check(server.json.read_bytes() == before, "the JSON changed")
            alive, _ = server.get("/api/script")
            check(alive == 200, f"the server no longer answers ({alive})")
        finally:
            server.close()
    case(f"server: {name}")(run)


def _edit(**change) -> dict:
    d = first_spoken(W.doc)
    return {"index": d["index"], "text": d["text"], "start": d["start"], "end": d["end"], **change}


def _edit_raw(field: str, literal: str) -> bytes:
    d = _edit()
    d[field] = "@@"
    return json.dumps(d).replace('"@@"', literal).encode()


http_case("GET / is the page", 200, lambda s: s.get("/"), body_has=b"aria-live")
http_case("HEAD / answers", 200, lambda s: s.raw(f"HEAD / HTTP/1.1\nHost: 127.0.0.1:{s.port}"))
for _path in ["/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/review.js/..",
              "/media/../speech.ad.json", "/speech.ad.json", "/api/../speech.ad.json", "/" + "a" * 5000]:
    http_case(f"GET {_path[:40]} is not served", (404, 414, 431), lambda s, p=_path: s.get(p))
http_case("a foreign Host header is refused", 403, lambda s: s.get("/api/script", host="evil.example"))
http_case("a missing Host header is refused", 403, lambda s: s.raw("GET /api/script HTTP/1.1"))
http_case("DNS rebinding Host with our port is refused", 403, lambda s: s.get("/", host=f"attacker.example:{s.port}"))
http_case("a cross-origin POST is refused", 403,
          lambda s: s.post("/api/validate", _edit(), extra="\nOrigin: http://evil.example"))
http_case("a form POST (text/plain) is refused", 415, lambda s: s.post("/api/validate", _edit(), ctype="text/plain"))
http_case("Content-Length -1 is refused", 400, lambda s: s.post("/api/validate", b"x" * 5000, length="-1"))
http_case("Content-Length abc is refused", 400, lambda s: s.post("/api/validate", b"{}", length="abc"))
http_case("Content-Length over 1 MiB is refused", 413, lambda s: s.post("/api/validate", b"{}", length=str(200 << 20)))
http_case("a POST without Content-Length is refused", 411, lambda s: s.post("/api/validate", b"", length="none"))
http_case("a chunked POST is refused", 411,
          lambda s: s.post("/api/validate", b"2\r\n{}\r\n0\r\n\r\n", length="none", extra="\nTransfer-Encoding: chunked"))
http_case("a body shorter than its Content-Length times out with 408", 408,
          lambda s: s.post("/api/validate", b'{"index": 0', length="500"))
http_case("a body that is not JSON", 400, lambda s: s.post("/api/validate", b"not json"))
http_case("a body that is not UTF-8", 400, lambda s: s.post("/api/validate", b'{"text": "\xff\xfe"}'))
http_case("NaN in the body", 400, lambda s: s.post("/api/validate", _edit_raw("start", "NaN")))
http_case("Infinity in the body", 400, lambda s: s.post("/api/validate", _edit_raw("end", "Infinity")))
http_case("100,000-deep JSON", 400, lambda s: s.post("/api/validate", b"[" * 100_000 + b"]" * 100_000))
for _field, _literal in [("index", "1e400"), ("index", "true"), ("index", '"1.9"'), ("index", "1.9"), ("index", "null"),
                         ("start", '"abc"'), ("start", "1e400"), ("end", "false"), ("text", "123"), ("text", "null"),
                         ("text", '["a"]')]:
    http_case(f"{_field}: {_literal} is refused with 422", 422,
              lambda s, f=_field, v=_literal: s.post("/api/validate", _edit_raw(f, v)))
http_case("an edit without an index", 422, lambda s: s.post("/api/validate", {"text": "x", "start": 1, "end": 2}))
http_case("an edit that is a list", 422, lambda s: s.post("/api/validate", b"[1, 2]"))
http_case("an AD that does not exist", 200, lambda s: s.post("/api/validate", _edit(index=9999)),
          body_has=b"no AD with index 9999")
http_case("a 10,000-word text is an error", 200,
          lambda s: s.post("/api/validate", _edit(text=" ".join(["word"] * 10_000))), body_has=b"at most 500")
http_case("control characters are an error", 200, lambda s: s.post("/api/validate", _edit(text="A\u0007cat")),
          body_has=b"control characters")
http_case("an unknown action", 404, lambda s: s.post("/api/nope", {}))
http_case("a save without edits", 422, lambda s: s.post("/api/save", {"revision": s.revision(), "edits": []}))
http_case("a save with edits that are not a list", 422, lambda s: s.post("/api/save", {"edits": "all"}))
http_case("a save with the same AD twice", 422,
          lambda s: s.post("/api/save", {"revision": s.revision(), "edits": [_edit(), _edit()]}))
http_case("a save over dialogue", 422, lambda s: s.post("/api/save", {"revision": s.revision(), "edits": [_edit(
    start=W.doc["timeline"]["dialogue"][0]["start"], end=W.doc["timeline"]["dialogue"][0]["end"])]}))
http_case("a save with a stale revision", 409, lambda s: s.post("/api/save", {"revision": "0" * 64, "edits": [_edit()]}))
http_case("a save with a revision of the wrong type", 409, lambda s: s.post("/api/save", {"revision": 7, "edits": [_edit()]}))
http_case("Range bytes=abc", 416, lambda s: s.get("/media/video", extra="\nRange: bytes=abc"))
http_case("Range past the end", 416, lambda s: s.get("/media/video", extra="\nRange: bytes=999999999-"))
http_case("Range bytes=0-10", 206, lambda s: s.get("/media/video", extra="\nRange: bytes=0-10"))
http_case("an AD-only track that does not exist", 404, lambda s: s.get("/media/ad.wav"))


@case("server: an XSS text is saved as text and escaped in the VTT")
def _():
    server = Server()
    try:
        status, reply = server.post("/api/save", {"revision": server.revision(),
                                                  "edits": [_edit(text="<img src=x onerror=alert(1)>")]})
        check(status == 200, f"save: {status} {reply[:200]!r}")
        status, vtt = server.get("/media/ad.vtt")
        check(status == 200 and b"<img" not in vtt and b"&lt;img" in vtt, "the VTT carries raw markup")
        status, page = server.get("/api/script")
        check(b'"<img src=x onerror=alert(1)>"' in page, "the text was not kept as text")
    finally:
        server.close()


@case("server: seven saves keep the original and five backups")
def _():
    server = Server()
    try:
        original = server.json.read_bytes()
        versions = [original]
        for n in range(7):
            status, reply = server.post("/api/save", {"revision": server.revision(), "edits": [_edit(text=f"Save {n}.")]})
            check(status == 200, f"save {n}: {status} {reply[:200]!r}")
            versions.append(server.json.read_bytes())
        name = server.json.name
        check((server.folder / f"{name}.orig").read_bytes() == original, "the original is gone")
        check((server.folder / f"{name}.bak").read_bytes() == versions[-2], ".bak is not the previous version")
        check((server.folder / f"{name}.bak.5").read_bytes() == versions[-6], ".bak.5 is not five versions back")
        check(not (server.folder / f"{name}.bak.6").exists(), "more than five backups")
    finally:
        server.close()


@case("server: a save on a full disk is 507 and changes nothing")
def _():
    import cinescribe.atomic as atomic

    server = Server()
    real = atomic.tempfile.mkstemp
    try:
        before = snapshot(server.folder)
        rev = server.revision()

        def full(*a, **k):
            raise OSError(errno.ENOSPC, "No space left on device")

        atomic.tempfile.mkstemp = full
        try:
            status, reply = server.post("/api/save", {"revision": rev, "edits": [_edit(text="Full.")]})
        finally:
            atomic.tempfile.mkstemp = real
        check(status == 507 and b"disk full" in reply, f"status {status}: {reply[:200]!r}")
        check(snapshot(server.folder) == before, "files changed")
    finally:
        server.close()


@case("server: connections are bounded; the extra one gets 503, then the server recovers")
def _():
    from cinescribe.export.review import server as module

    server = Server()
    server.srv.RequestHandlerClass.timeout = 30.0  # the idle connections must outlast their own opening
    idle = []
    try:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(module.MAX_THREADS)]
        time.sleep(0.3)
        status, _ = server.get("/api/script")
        check(status == 503, f"connection {module.MAX_THREADS + 1}: status {status}")
    finally:
        for s in idle:
            s.close()
    try:
        time.sleep(2.5)
        status, _ = server.get("/api/script")
        check(status == 200, f"after the idle connections closed: {status}")
    finally:
        server.close()


@case("server: a slow client cannot hold a thread forever")
def _():
    server = Server()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
            s.sendall(b"POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
            start = time.monotonic()
            data = s.recv(1024)
            check(time.monotonic() - start < 10, "the connection was held open")
            check(data == b"" or data.startswith(b"HTTP/1."), f"unexpected reply {data[:80]!r}")
    finally:
        server.close()


# --- main --------------------------------------------------------------------------------------------------

def main() -> int:
    global W
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    parser.add_argument("--list", action="store_true", help="print the case names and exit")
    args = parser.parse_args()
    chosen = [c for c in CASES if args.k.lower() in c.name.lower()]
    if args.list:
        print("\n".join(c.name for c in chosen))
        return 0
    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        print("ffmpeg and espeak-ng are needed to generate the test media", file=sys.stderr)
        return 2
    os.environ.setdefault("CINESCRIBE_CACHE", tempfile.mkdtemp(prefix="hostile-cache-"))
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        start = time.monotonic()
        W = World(Path(tmp))
        passed = 0
        for c in chosen:
            try:
                c.run()
                passed += 1
            except Failed as exc:
                print(f"FAIL {c.name}: {exc}")
            except Exception as exc:  # the case itself broke: count it as failed, show where
                print(f"FAIL {c.name}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        print(f"hostile inputs: {passed} of {len(chosen)} cases passed ({time.monotonic() - start:.0f} s)")
    return 0 if passed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
