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
