"""Annotation readers (MAD, CMD-AD, TV-AD, ad-script, table), validation and prediction pairing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cinescribe.data.annotations import AD, read_annotations
from cinescribe.data.predictions import align, write_predictions
from cinescribe.errors import InputError

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"
needs_data = pytest.mark.skipif(not (ANN / "tvad_eval.csv").is_file(), reason="shared/data/ad-annotations not found")


@needs_data
def test_tvad_real_file_with_cast():
    gt = read_annotations(ANN / "tvad_eval.csv", charbank=ANN / "tvad_charbank.json")
    assert gt.format == "tvad" and len(gt) == 2983 and len(gt.by_film()) == 100
    assert all(a.end > a.start and a.text for a in gt.ads)
    for ads in gt.by_film().values():
        assert [a.start for a in ads] == sorted(a.start for a in ads)
    first = next(a for a in gt.ads if a.text == "He awkwardly sits down, and Joey pats his shoulder.")
    assert first.film == "tt0583459" and first.start == pytest.approx(242.653) and first.end == pytest.approx(245.358)
    assert first.characters == ("Joey Tribbiani",)
    named = [a for a in gt.ads if "Rachel" in a.text.split()]
    assert named and all("Rachel Green" in a.characters for a in named)
    assert "Monica Geller" in gt.cast["tt0583459"]


@needs_data
def test_cmdad_real_file_drops_exact_duplicates():
    gt = read_annotations(ANN / "cmdad_eval.csv")
    assert gt.format == "cmdad" and gt.dropped_duplicates == 5 and len(gt) == 7316 - 5
    assert len(gt.by_film()) == 98
    assert len({a.key for a in gt.ads}) == len(gt)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_mad_csv_and_json(tmp_path):
    csv_path = _write(tmp_path / "mad.csv", "movie,sentence,movie_duration,start,end,imdb,lsmdc_filename,start_hms,end_hms\n"
                      "1005_Signs,Graham looks up.,6000,12.5,14.0,tt0286106,x,00.00.12.500,00.00.14.000\n"
                      "1005_Signs,He walks out.,6000,3.0,4.5,tt0286106,x,00.00.03.000,00.00.04.500\n")
    mad = read_annotations(csv_path)
    assert mad.format == "mad" and [a.text for a in mad.ads] == ["He walks out.", "Graham looks up."]
    js = tmp_path / "MAD_test.json"
    js.write_text(json.dumps({"7": {"movie": "3001_21_JUMP_STREET", "sentence": "SOMEONE runs.", "timestamps": [5.0, 7.5],
                                    "movie_duration": 6000.0}}))
    mj = read_annotations(js)
    assert mj.format == "mad" and mj.ads == [AD("3001_21_JUMP_STREET", 5.0, 7.5, "SOMEONE runs.")]
    bad = tmp_path / "late.csv"
    _write(bad, "movie,sentence,movie_duration,start,end\nm,Text.,100,90,120\n")
    with pytest.raises(InputError, match=r"late\.csv: line 2: end 120 s is past the film's duration 100 s"):
        read_annotations(bad)


def test_ad_script_and_folder(tmp_path):
    def script(name: str, texts: list[str]) -> dict:
        return {"schema": "cinescribe.ad-script/1", "video": {"path": f"/videos/{name}.mp4", "duration": 60.0},
                "descriptions": [{"index": i, "start": 2.0 * i, "end": 2.0 * i + 1.5, "text": t} for i, t in enumerate(texts)]}

    (tmp_path / "a.ad.json").write_text(json.dumps(script("film_a", ["A door opens.", "", "She smiles."])))
    (tmp_path / "b.ad.json").write_text(json.dumps(script("film_b", ["Rain falls."])))
    one = read_annotations(tmp_path / "a.ad.json")
    assert one.format == "ad-script" and [(a.film, a.start, a.text) for a in one.ads] == \
        [("film_a", 0.0, "A door opens."), ("film_a", 4.0, "She smiles.")]
    both = read_annotations(tmp_path)
    assert sorted(both.by_film()) == ["film_a", "film_b"] and len(both) == 3


def test_table_round_trip(tmp_path):
    ads = [AD("f1", 1.0, 2.5, "A man, smiling, waves.", ("Bob",)), AD("f1", 3.0, 4.0, 'She says "hi".'),
           AD("f2", 0.5, 1.0, "Night.")]
    for name in ("p.csv", "p.jsonl"):
        write_predictions(tmp_path / name, ads)
        back = read_annotations(tmp_path / name)
        assert back.format == "table" and back.ads == ads


@pytest.mark.parametrize("name, text, message", [
    ("nocol.csv", "film,start,text\nf,1,Hi.\n", r"nocol\.csv: missing column\(s\) end"),
    ("notnum.csv", "film,start,end,text\nf,1,2,Hi.\nf,abc,5,There.\n", r"notnum\.csv: line 3: start 'abc' is not a number"),
    ("neg.csv", "film,start,end,text\nf,-1,2,Hi.\n", r"neg\.csv: line 2: start '-1' must be a finite number"),
    ("order.csv", "film,start,end,text\nf,5,4,Hi.\n", r"order\.csv: line 2: end 4 s is not after start 5 s"),
    ("empty.csv", "film,start,end,text\nf,1,2,   \n", r"empty\.csv: line 2: empty AD text"),
    ("dup.csv", "film,start,end,text\nf,1,2,Hi.\nf,1,2,Other.\n", r"dup\.csv: line 3: duplicate key .* than line 2"),
    ("nofilm.csv", "film,start,end,text\n,1,2,Hi.\n", r"nofilm\.csv: line 2: empty film id"),
    ("header.csv", "film,start,end,text\n", r"header\.csv: no ADs found"),
    ("what.csv", "a,b\n1,2\n", r"what\.csv: cannot tell the format"),
    ("bad.jsonl", '{"film": "f", "start": 1, "end": 2, "text": "x"}\n{oops\n', r"bad\.jsonl: line 2: invalid JSON"),
    ("miss.jsonl", '{"film": "f", "start": 1, "text": "x"}\n', r"miss\.jsonl: line 1: missing end"),
    ("tv.csv", "text,start,imdbid_pe\nHi.,1,tt1\n", r"tv\.csv: missing column\(s\) end; the tvad format"),
    ("short.csv", "film,start,end,text\nf,1,2,Hi.\n\nf,3,4\n", r"short\.csv: line 4: missing text"),
    ("shorter.csv", "film,text,start,end\nf,Hi.,1,2\nf\n", r"shorter\.csv: line 3: missing text, start, end"),
])
def test_validation_errors_name_file_and_row(tmp_path, name, text, message):
    with pytest.raises(InputError, match=message):
        read_annotations(_write(tmp_path / name, text))


def test_csv_rows_blank_lines_extra_cells_and_repeated_columns(tmp_path):
    s = read_annotations(_write(tmp_path / "t.csv", "film,start,end,text,characters,text\n\nf,3,4,No.,,Yes.,more\n"
                                "\nf,1,2,Hi.,Ann; Bo ;,  Hello  there. \n"))
    assert [(a.film, a.start, a.end, a.text, a.characters) for a in s.ads] == [
        ("f", 1.0, 2.0, "Hello there.", ("Ann", "Bo")), ("f", 3.0, 4.0, "Yes.", ())]


def test_exact_duplicates_counted_once(tmp_path):
    s = read_annotations(_write(tmp_path / "d.csv", "film,start,end,text\nf,1,2,Hi.\nf,1,2,Hi.\nf,3,4,Bye.\n"))
    assert len(s) == 2 and s.dropped_duplicates == 1


def test_missing_file_and_bad_format(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_annotations(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown annotation format"):
        read_annotations(tmp_path, format="srt")


def test_align_exact_and_overlap(tmp_path):
    gt = read_annotations(_write(tmp_path / "gt.csv", "film,start,end,text\nf,1,2,A.\nf,3,4,B.\nf,10,11,C.\ng,0,1,D.\n"))
    exact = read_annotations(_write(tmp_path / "p.csv", "film,start,end,text\nf,1,2,a\nf,3,4,b\nf,10,11,c\ng,0,1,d\n"
                                    "g,5,6,extra\n"))
    pairs = align(gt, exact)
    assert pairs.pred == ["a", "b", "c", "d"] and pairs.unused_predictions == 1 and pairs.films() == {"f": [0, 1, 2], "g": [3]}
    slots = read_annotations(_write(tmp_path / "s.csv", "film,start,end,text\nf,0.5,1.2,x\nf,1.1,3.6,y\ng,3,4,z\n"))
    with pytest.raises(InputError, match=r"4 of 4 ground-truth ADs have no prediction .* use --match overlap"):
        align(gt, slots)
    over = align(gt, slots, "overlap")
    assert over.pred == ["y", "y", "", ""] and over.unmatched == 2 and over.unused_predictions == 2
    other = read_annotations(_write(tmp_path / "o.csv", "film,start,end,text\nzzz,1,2,a\n"))
    with pytest.raises(InputError, match="no film in common"):
        align(gt, other)
