import pytest

from cinescribe.errors import InputError
from cinescribe.media.subtitles import Cue, parse_subtitles

SRT = (
    "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there\r\nsecond line\r\n\r\n"
    "2\r\n00:00:03.250 --> 00:00:04,000 X1:10 X2:20\r\n{\\an8}Top &amp; bottom\r\n\r\n"
    "3\r\n01:00:00,000 --> 01:00:01,000\r\n<font color=\"red\">Late</font>\r\n"
)

VTT = """WEBVTT - some title

NOTE this is a comment
spanning lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.000 align:start position:10%
<v Roger>Hi <c.loud>there</c></v>

00:00:03.500 --> 00:00:05.000
<00:00:04.000>Karaoke
text
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_srt(tmp_path):
    cues = parse_subtitles(write(tmp_path, "a.srt", SRT))
    assert cues == [
        Cue(1.0, 2.5, "Hello there\nsecond line"),
        Cue(3.25, 4.0, "Top & bottom"),
        Cue(3600.0, 3601.0, "Late"),
    ]


def test_vtt(tmp_path):
    cues = parse_subtitles(write(tmp_path, "a.vtt", VTT))
    assert cues == [Cue(1.0, 2.0, "Hi there"), Cue(3.5, 5.0, "Karaoke\ntext")]
    assert cues[0].interval.duration == 1.0


@pytest.mark.parametrize(
    "name, text, pattern",
    [
        ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:xx,000 --> 00:00:04,000\nbad\n",
         r"bad\.srt:6: bad timestamp"),
        ("back.srt", "1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", r"back\.srt:2: cue ends .* before it starts"),
        ("prose.srt", "Dear diary,\ntoday I wrote no subtitles.\n", r"prose\.srt:1: not a subtitle file"),
        ("empty.vtt", "WEBVTT\n\n", r"empty\.vtt: contains no subtitle cues"),
        ("nocue.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\njust text\nmore\n", r"nocue\.vtt:6: cue without"),
    ],
)
def test_malformed(tmp_path, name, text, pattern):
    with pytest.raises(InputError, match=pattern) as exc:
        parse_subtitles(write(tmp_path, name, text))
    assert "\n" not in str(exc.value)


def test_missing_and_binary(tmp_path):
    with pytest.raises(InputError, match="no such subtitle file"):
        parse_subtitles(tmp_path / "nope.srt")
    p = tmp_path / "bin.srt"
    p.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(InputError, match="binary"):
        parse_subtitles(p)


ASS = r"""[Script Info]
; written by a subtitle editor
Title: Test
ScriptType: v4.00+
PlayResX: 1920
PlayResY: 1080

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,48,&H00FFFFFF,&H000000FF,&H00000000,&H64000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1
Style: Sign,Arial,40,&H0000FFFF,&H000000FF,&H00000000,&H64000000,-1,0,0,0,100,100,0,0,1,2,2,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:03.50,0:00:05.00,Sign,,0,0,0,,{\an8\pos(960,50)}EXIT
Dialogue: 0,0:00:01.00,0:00:02.50,Default,Roger,0,0,0,,{\i1}Hello{\i0} there,\Nsecond line
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,a translator's note
Dialogue: 0,0:00:06.00,0:00:07.00,Default,,0,0,0,,{\p1}m 0 0 l 100 0 100 100 0 100{\p0}
Dialogue: 1,1:00:08.00,1:00:09.25,Default,,0,0,0,,Tom\h&\hJerry {\fad(200,200)\c&H00FF00&}run!
"""

SSA = r"""[Script Info]
ScriptType: v4.00

[V4 Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding
Style: Default,Arial,20,16777215,65535,65535,-2147483640,-1,0,1,3,0,2,30,30,30,0,0

[Events]
Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: Marked=0,0:01:00.25,0:01:01.00,Default,,0000,0000,0000,,Second
Dialogue: Marked=0,0:00:01.00,0:00:02.00,Default,,0000,0000,0000,,{\i1}Old{\i0} style\nsame line
"""


def test_ass_styles_and_override_tags(tmp_path):
    cues = parse_subtitles(write(tmp_path, "film.ass", ASS))
    assert cues == [
        Cue(1.0, 2.5, "Hello there,\nsecond line"),
        Cue(3.5, 5.0, "EXIT"),
        Cue(3608.0, 3609.25, "Tom & Jerry run!"),
    ]


def test_ssa(tmp_path):
    cues = parse_subtitles(write(tmp_path, "old.ssa", SSA))
    assert cues == [Cue(1.0, 2.0, "Old style\nsame line"), Cue(60.25, 61.0, "Second")]


def test_ass_in_a_legacy_encoding_is_detected(tmp_path, caplog):
    import logging

    p = tmp_path / "legacy.ass"
    p.write_bytes(ASS.replace("EXIT", "Caf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet").encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="cinescribe"):
        cues = parse_subtitles(p)
    assert cues[1].text == "Caf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet"
    assert any("legacy.ass is not UTF-8; read it as cp1252" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "name, text, pattern",
    [
        ("bad.ass", ASS.replace("1:00:08.00", "1:0x:08.00"), r"bad\.ass:19: not a readable ASS/SSA file"),
        ("back.ass", ASS.replace("0:00:03.50,0:00:05.00", "0:00:05.00,0:00:03.50"),
         r"back\.ass:15: cue ends \(0:00:03\.500\) before it starts \(0:00:05\.000\)"),
        ("empty.ass", ASS.split("[Events]")[0], r"empty\.ass: contains no subtitle cues"),
    ],
)
def test_malformed_substation(tmp_path, name, text, pattern):
    with pytest.raises(InputError, match=pattern) as exc:
        parse_subtitles(write(tmp_path, name, text))
    assert "\n" not in str(exc.value)
