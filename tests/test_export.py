"""WebVTT, SRT and JSON writers."""

from __future__ import annotations

import json

import pytest

from cinescribe.describe.facts import Fact
from cinescribe.describe.planner import Slot
from cinescribe.describe.script import SCHEMA, ADScript, AudioDescription
from cinescribe.errors import InputError
from cinescribe.export.srt import to_srt
from cinescribe.export.timecodes import srt_time, vtt_time
from cinescribe.export.webvtt import to_webvtt
from cinescribe.atomic import check_writable
from cinescribe.describe.document import load_script, write_script
from cinescribe.export import writeout
from cinescribe.export.formats import FORMATS, describe_formats, parse_formats
from cinescribe.export.writeout import write_outputs
from cinescribe.timeline import Interval


def script() -> ADScript:
    cat = Fact("object", "object:cat", "cat", ("cat",), 0.8, {"frames": [1.5]})
    return ADScript(
        video={"path": "film.mp4", "duration": 3725.5},
        descriptions=[
            AudioDescription(Slot(0, 1.0, 2.5, 3), "A cat appears.", [cat], [cat], [1.5]),
            AudioDescription(Slot(1, 4.0, 5.3, 3), "", [], [], [4.6], "no measured fact to describe"),
            AudioDescription(Slot(2, 3661.021, 3663.5, 6), 'The words "<b> & -->" appear on screen.', [], [], [3662.0]),
        ],
        dialogue=[Interval(2.6, 3.9)], speech=[Interval(2.6, 3.9)], subtitles=0,
        shots=[Interval(0, 3725.5)], scenes=[Interval(0, 3725.5)], models={"objects": "m"}, config={},
    )


def test_timecodes():
    assert vtt_time(3661.021) == "01:01:01.021"
    assert srt_time(3661.021) == "01:01:01,021"
    assert vtt_time(0) == "00:00:00.000"


def test_webvtt_has_only_spoken_cues_escaped():
    text = to_webvtt(script())
    assert text.startswith("WEBVTT\n")
    assert "ad-0\n00:00:01.000 --> 00:00:02.500\nA cat appears.\n" in text
    assert "ad-1" not in text
    assert "&lt;b&gt; &amp; --&gt;" in text
    assert text.count("-->") == 2  # the two cue timings; the escaped text holds none


def test_srt_numbers_from_one():
    assert to_srt(script()) == (
        "1\n00:00:01,000 --> 00:00:02,500\nA cat appears.\n\n"
        '2\n01:01:01,021 --> 01:01:03,500\nThe words "\uff1cb\uff1e & --\uff1e" appear on screen.\n'
    )  # SubRip has no escapes: markup characters become their full-width forms (export/cuetext.py)


def test_json_document(tmp_path):
    path = write_script(script(), tmp_path / "film.ad.json")
    paths = write_outputs(script(), tmp_path, "film", ("json", "vtt", "srt"))
    assert sorted(paths) == ["srt", "vtt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.ad.json", "film.ad.srt", "film.ad.vtt"]
    doc = json.loads(path.read_text())
    assert doc["schema"] == SCHEMA
    first = doc["descriptions"][0]
    assert first == {**first, "start": 1.0, "end": 2.5, "word_budget": 3, "words": 3, "text": "A cat appears.",
                     "keyframes": [1.5]}
    assert first["facts"][0]["evidence"] == {"frames": [1.5]}
    assert doc["descriptions"][1]["reason"] == "no measured fact to describe"


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    write_outputs(script(), tmp_path, "film", ("vtt",))
    before = (tmp_path / "film.ad.vtt").read_text()

    def boom(_):
        raise RuntimeError("disk full")

    monkeypatch.setitem(writeout.TEXTS, "vtt", boom)
    with pytest.raises(RuntimeError):
        write_outputs(script(), tmp_path, "film", ("vtt",))
    assert (tmp_path / "film.ad.vtt").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["film.ad.vtt"]


def test_one_format_table_for_describe_and_export(tmp_path):
    """describe writes every format that needs no voice (TTML too), named as export names it."""
    assert describe_formats("json, ttml,TXT,ttml") == ("json", "ttml", "txt")
    with pytest.raises(InputError, match="unknown output format 'wav'.*made by `cinescribe export`"):
        describe_formats("vtt,wav")
    with pytest.raises(InputError, match="no output format given"):
        describe_formats(" , ")
    assert parse_formats("wav,mp4") == ("wav", "mp4")
    paths = write_outputs(script(), tmp_path, "film", ("ttml", "txt", "html"))
    assert {f: p.name for f, p in paths.items()} == {f: FORMATS[f].path_name("film") for f in ("ttml", "txt", "html")}
    ttml = paths["ttml"].read_text()
    assert 'daptm:scriptType="preRecording"' in ttml and "A cat appears." in ttml
    assert "A cat appears." in paths["txt"].read_text()


def test_the_document_reads_back_what_it_wrote(tmp_path):
    original = script()
    again = load_script(write_script(original, tmp_path / "film.ad.json"))
    assert again.to_dict() == original.to_dict()


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="output folder"):
        check_writable(blocker / "sub")
    with pytest.raises(InputError, match="not a folder"):
        check_writable(blocker)


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    import os

    from cinescribe.atomic import write_text

    umask = os.umask(0o022)
    os.umask(umask)
    path = write_text(tmp_path / "out.txt", "hello\n")
    assert path.read_text() == "hello\n"
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
