"""Hostile input: NaN options, scripts export must not trust, markup in cue text, the review server under
attack, a full disk, a moved folder, legacy encodings, and the small things (one warning, readable numbers,
Ctrl+C).  Each test failed before the fix it guards (issue: "what 144 hostile inputs found")."""

from __future__ import annotations

import errno
import http.client
import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cinescribe.atomic import write_json, write_text
from cinescribe.describe.facts import Fact
from cinescribe.describe.planner import PlannerConfig, Slot
from cinescribe.describe.script import ADScript, AudioDescription
from cinescribe.errors import InputError, WriteError, show_number
from cinescribe.export.pipeline import ExportConfig, export_script
from cinescribe.media.subtitles import parse_subtitles
from test_describe_cli import PIXELS_ONLY, assert_one_line_error, run
from test_mix import make_script


def write_script(path: Path, texts: list[tuple[int, float, float, str]], dialogue=((2.6, 3.9),),
                 duration: float = 60.0) -> Path:
    """An AD-script JSON with the ADs ``(index, start, end, text)`` (no video needed for text formats)."""
    cat = Fact("object", "object:cat", "cat", ("cat",), 0.8, {"frames": [1.5]})
    from cinescribe.timeline import Interval

    script = ADScript(
        video={"path": str(path.with_name("film.mp4")), "duration": duration},
        descriptions=[AudioDescription(Slot(i, s, e, int((e - s) * 2.5)), t, [cat], [cat], [s]) for i, s, e, t in texts],
        dialogue=[Interval(a, b) for a, b in dialogue], speech=[], subtitles=0, shots=[], scenes=[], models={},
        config={"planner": {"words_per_second": 2.5}},
    )
    path.write_text(json.dumps(script.to_dict()))
    return path


# 1. NaN options -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option,value", [("--min-gap", "nan"), ("--speech-margin", "nan"), ("--max-slot", "nan"),
                                          ("--words-per-second", "inf")])
def test_non_finite_options_are_refused(tmp_path, speech_video, option, value):
    out = tmp_path / "out"
    assert_one_line_error(run("describe", speech_video.path, "-o", out, option, value), option, "finite")
    assert not out.exists()


def test_planner_config_refuses_nan_and_out_of_range_values():
    for bad in (dict(min_gap=float("nan")), dict(speech_margin=float("nan")), dict(max_slot=float("inf")),
                dict(words_per_second=float("inf")), dict(words_per_second=50.0), dict(speech_margin=-0.1)):
        with pytest.raises(InputError):
            PlannerConfig(**bad).validate()
    PlannerConfig().validate()


def test_json_is_written_without_nan(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "x.json", {"start": float("nan")})
    assert list(tmp_path.iterdir()) == []


# 2. export validates the script first ---------------------------------------------------------------------

def _no_voice(name):
    raise AssertionError("a voice was loaded before the script was checked")


@pytest.mark.parametrize("texts,needle", [
    ([(0, 4.0, 8.0, "A cat sits."), (1, 6.0, 9.0, "A dog runs.")], "overlaps AD 0"),
    ([(0, 4.0, 8.0, " ".join(["word"] * 10_000))], "characters; at most 500"),
    ([(0, 4.0, 6.0, "A cat sits."), (0, 10.0, 12.0, "A dog runs.")], "2 ADs have index 0"),
    ([(0, 58.0, 61.0, "A cat sits.")], "after the end of the video"),
])
def test_export_refuses_a_script_that_breaks_the_rules(tmp_path, monkeypatch, texts, needle):
    path = write_script(tmp_path / "film.ad.json", texts)
    monkeypatch.setattr("cinescribe.export.pipeline.load_voice", _no_voice)
    with pytest.raises(InputError, match=needle):
        export_script(path, formats=("vtt", "srt", "ttml", "wav"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.ad.json"]


def test_export_warns_about_dialogue_and_budget_and_reports_them(tmp_path, caplog):
    path = write_script(tmp_path / "film.ad.json", [(0, 2.0, 4.0, "A cat sits on the mat in the sun.")])
    with caplog.at_level(logging.WARNING, logger="cinescribe"):
        paths = export_script(path, formats=("vtt",))
    messages = [r.getMessage() for r in caplog.records]
    assert any("AD 0: overlaps dialogue from 2.60 s" in m for m in messages)
    assert any("AD 0: 9 words do not fit" in m for m in messages)
    report = json.loads(paths["report"].read_text())
    assert {p["kind"] for p in report["problems"]} == {"dialogue", "budget"}


def test_review_and_export_share_one_validator():
    from cinescribe.export import checks
    from cinescribe.export.review import edits

    assert edits.check_description is checks.check_description
    assert edits.MAX_CHARS == checks.MAX_CHARS and edits.word_budget is checks.word_budget


# 3. text reaches the subtitle files normalised and escaped ------------------------------------------------

def test_blank_lines_and_markup_cannot_break_subtitle_files(tmp_path):
    texts = [(0, 4.0, 8.0, "A cat.\n\n2\n00:00:00,000 --> 00:00:09,000\nInjected cue."),
             (1, 10.0, 14.0, "<script>alert(1)</script> <b>bold</b> {\\an8}top"),
             (2, 20.0, 24.0, "A \x07bell\trings.")]
    path = write_script(tmp_path / "film.ad.json", texts)
    paths = export_script(path, formats=("vtt", "srt", "ttml"))
    srt = paths["srt"].read_text()
    for markup in ("<script>", "<b>", "{\\an8}", "\x07"):
        assert markup not in srt
    srt_cues = parse_subtitles(paths["srt"])
    vtt_cues = parse_subtitles(paths["vtt"])
    assert len(srt_cues) == len(vtt_cues) == 3
    assert [c.start for c in srt_cues] == [4.0, 10.0, 20.0]
    assert vtt_cues[0].text == "A cat. 2 00:00:00,000 --> 00:00:09,000 Injected cue."
    assert "&lt;script&gt;" in paths["vtt"].read_text()
    import xml.etree.ElementTree as ET

    spans = [e.text for e in ET.parse(paths["ttml"]).iter() if e.tag.endswith("span")]
    assert spans[2] == "A bell rings."


# 4. the review server -------------------------------------------------------------------------------------

@pytest.fixture
def review_server(speech_video, tmp_path, monkeypatch):
    from cinescribe.export.review import server as server_module

    monkeypatch.setattr(server_module, "MAX_THREADS", 4, raising=False)
    video = tmp_path / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    info = type(speech_video)(**{**speech_video.__dict__, "path": video})
    make_script(info, tmp_path / "speech.ad.json")
    review = server_module.Review(tmp_path, formats=("vtt",), cfg=ExportConfig(voice="espeak"))
    srv = server_module.make_server(review, 0)
    srv.RequestHandlerClass.timeout = 1.0
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv.server_address[1], tmp_path
    srv.shutdown()
    srv.server_close()


def raw_request(port: int, head: str, body: bytes = b"", wait: float = 5.0) -> tuple[int | None, bytes]:
    """Send ``head`` (request line and headers, without the blank line) and ``body``; the status and the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
        reply = b""
        try:
            while b"\r\n\r\n" not in reply or len(reply) < reply.index(b"\r\n\r\n") + 4 + _length(reply):
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            pass
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None
    return status, reply


def _length(reply: bytes) -> int:
    for line in reply.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def post(port: int, path: str, body: bytes, length: str | None = None) -> tuple[int | None, bytes]:
    length = str(len(body)) if length is None else length
    head = (f"POST {path} HTTP/1.1\nHost: 127.0.0.1:{port}\nContent-Type: application/json\n"
            f"Content-Length: {length}")
    return raw_request(port, head, body)


def test_review_server_answers_every_hostile_request(review_server):
    port, folder = review_server
    before = (folder / "speech.ad.json").read_bytes()
    edit = '{"index": %s, "text": "A cat.", "start": 2.3, "end": 4.0}'
    cases = [
        (post(port, "/api/validate", b"x" * 2000, "-1"), 400),
        (post(port, "/api/validate", b"{}", "abc"), 400),
        (post(port, "/api/validate", (edit % "1e400").encode()), 422),
        (post(port, "/api/validate", (edit % "true").encode()), 422),
        (post(port, "/api/validate", (edit % '"1.9"').encode()), 422),
        (post(port, "/api/validate", (edit % "1.9").encode()), 422),
        (post(port, "/api/validate", b"[" * 100_000 + b"]" * 100_000), 400),
        (post(port, "/api/validate", b'{"index": NaN}'), 400),
        (post(port, "/api/validate", b"{}", str(2 << 20)), 413),
        (raw_request(port, f"POST /api/validate HTTP/1.1\nHost: 127.0.0.1:{port}\nContent-Type: application/json"), 411),
    ]
    for (status, reply), expected in cases:
        assert status == expected, reply[:300]
        assert b'"error"' in reply
    assert (folder / "speech.ad.json").read_bytes() == before


def test_a_body_shorter_than_its_length_times_out_with_408(review_server):
    port, _ = review_server
    start = time.monotonic()
    status, reply = post(port, "/api/validate", b'{"index": 0', "100")
    assert status == 408, reply
    assert time.monotonic() - start < 4


def test_threads_are_bounded_and_the_extra_connection_gets_503(review_server):
    port, _ = review_server
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    try:
        time.sleep(0.2)
        status, reply = raw_request(port, f"GET /api/script HTTP/1.1\nHost: 127.0.0.1:{port}")
        assert status == 503, reply
    finally:
        for s in idle:
            s.close()
    time.sleep(1.5)  # the idle connections time out and free their threads
    status, _ = raw_request(port, f"GET /api/script HTTP/1.1\nHost: 127.0.0.1:{port}")
    assert status == 200


def _save(port: int, folder: Path, text: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/script")
    rev = json.loads(conn.getresponse().read())["revision"]
    body = json.dumps({"revision": rev, "edits": [{"index": 0, "text": text, "start": 2.3, "end": 4.0}]})
    conn.request("POST", "/api/save", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    out = resp.status, json.loads(resp.read())
    conn.close()
    return out


def test_saves_keep_the_original_and_five_backups(review_server):
    port, folder = review_server
    path = folder / "speech.ad.json"
    original = path.read_bytes()
    versions = [original]
    for n in range(7):
        status, result = _save(port, folder, f"A woman smiles {n}.")
        assert status == 200 and result["saved"], result
        versions.append(path.read_bytes())
    assert (folder / "speech.ad.json.orig").read_bytes() == original
    assert (folder / "speech.ad.json.bak").read_bytes() == versions[-2]
    assert (folder / "speech.ad.json.bak.5").read_bytes() == versions[-6]
    assert not (folder / "speech.ad.json.bak.6").exists()


def test_a_save_on_a_full_disk_is_507_and_changes_nothing(review_server, monkeypatch):
    port, folder = review_server
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("cinescribe.atomic.tempfile.mkstemp", full)
    status, result = _save(port, folder, "A woman smiles.")
    assert status == 507 and "disk full" in result["error"]
    assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before


# 5. full disk ---------------------------------------------------------------------------------------------

def test_a_full_disk_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    (tmp_path / "film.ad.vtt").write_text("before\n")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(WriteError, match=r"cannot write .*film\.ad\.vtt: no space left on the device") as exc:
        write_text(tmp_path / "film.ad.vtt", "after\n")
    assert exc.value.exit_code == 2
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["film.ad.vtt"]
    assert (tmp_path / "film.ad.vtt").read_text() == "before\n"


def test_describe_on_a_full_disk_exits_2_naming_the_journal_and_leaves_no_journal(tmp_path, speech_video, monkeypatch,
                                                                                 capsys):
    from cinescribe import cli

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("cinescribe.describe.journal.os.fsync", full)
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["cinescribe", "describe", str(speech_video.path), "-o", str(out), "-q",
                                      "--vad", "energy", *PIXELS_ONLY])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "error: cannot write" in err and ".speech.ad.journal.jsonl" in err and "disk full" in err
    assert not out.exists()


# 6. a moved folder ----------------------------------------------------------------------------------------

def test_export_finds_the_video_beside_a_moved_json_and_says_where_it_looked(speech_video, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    video = first / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    make_script(type(speech_video)(**{**speech_video.__dict__, "path": video}), first / "speech.ad.json")
    moved = tmp_path / "moved"
    first.rename(moved)
    paths = export_script(moved / "speech.ad.json", formats=("mix",), cfg=ExportConfig(voice="espeak"))
    assert paths["mix"].is_file()
    (moved / "speech.mp4").unlink()
    with pytest.raises(InputError, match="looked for .*first/speech.mp4 and .*moved/speech.mp4; give it with --video"):
        export_script(moved / "speech.ad.json", formats=("mp4",), cfg=ExportConfig(voice="espeak"))


# 7. legacy encodings --------------------------------------------------------------------------------------

MAD_CP1252 = ("movie,sentence,start,end,movie_duration\n"
              "1005_Signs,\"\u201cSomeone\u2019s there,\u201d she whispers \u2013 the caf\u00e9 door opens.\",10.5,12.0,6000\n"
              "1005_Signs,Zo\u00eb smiles na\u00efvely at Andr\u00e9.,13.0,15.0,6000\n")


def test_a_cp1252_mad_eval_file_is_read_with_a_warning(tmp_path, caplog):
    from cinescribe.data.annotations import read_annotations

    path = tmp_path / "mad_eval.csv"
    path.write_bytes(MAD_CP1252.encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="cinescribe"):
        ads = read_annotations(path)
    assert [a.text for a in ads.ads] == ["\u201cSomeone\u2019s there,\u201d she whispers \u2013 the caf\u00e9 door opens.",
                                         "Zo\u00eb smiles na\u00efvely at Andr\u00e9."]
    assert any("not UTF-8; read it as cp1252" in r.getMessage() for r in caplog.records)


def test_utf8_with_bom_needs_no_warning_and_cp1252_subtitles_are_detected(tmp_path, caplog):
    from cinescribe.data.annotations import read_annotations

    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + MAD_CP1252.encode("utf-8"))
    srt = tmp_path / "legacy.srt"
    srt.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCaf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet.\n".encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="cinescribe"):
        assert len(read_annotations(bom)) == 2
        assert not caplog.records
        cues = parse_subtitles(srt)
    assert cues[0].text == "Caf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet."
    assert any("legacy.srt is not UTF-8; read it as cp1252" in r.getMessage() for r in caplog.records)


# 8. small things ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_truncated_video_warns_once(speech_video, tmp_path):
    data = Path(speech_video.path).read_bytes()
    video = tmp_path / "half.mp4"
    video.write_bytes(data[: len(data) // 2])
    proc = run("describe", video, "-o", tmp_path / "out", "--vad", "energy", *PIXELS_ONLY, "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("looks truncated") == 1, proc.stderr


def test_numbers_in_messages_are_readable(tmp_path):
    assert show_number(16.869999999999997) == "16.87" and show_number(5.0) == "5" and show_number(3) == "3"
    path = write_script(tmp_path / "film.ad.json", [(0, 4.0, 8.0, "A cat sits.")])
    doc = json.loads(path.read_text())
    doc["descriptions"][0].update(start=16.869999999999997, end=12.1 + 0.2)
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as exc:
        export_script(path, formats=("vtt",))
    assert "start 16.87 must be before end 12.3" in str(exc.value)


def test_ctrl_c_says_interrupted_and_exits_130(speech_video, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    video = folder / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    make_script(type(speech_video)(**{**speech_video.__dict__, "path": video}), folder / "speech.ad.json")
    proc = subprocess.Popen([sys.executable, "-m", "cinescribe", "serve", str(folder), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        lines = []
        while not any("Review page for" in line for line in lines) and proc.poll() is None:
            lines.append(proc.stderr.readline())
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, lines
    assert err.strip().splitlines()[-1] == "interrupted"
