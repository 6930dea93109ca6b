from cinescribe.media.dialogue import dialogue_intervals
from cinescribe.media.subtitles import Cue
from cinescribe.timeline import Interval as I


def test_union_and_join():
    speech = [I(1.0, 2.0), I(2.2, 3.0), I(10.0, 11.0)]
    cues = [Cue(5.0, 6.0, "a"), Cue(5.9, 7.0, "b"), Cue(10.5, 12.0, "c"), Cue(20.0, 20.0, "empty")]
    assert dialogue_intervals(speech, cues) == [I(1.0, 3.0), I(5.0, 7.0), I(10.0, 12.0)]


def test_gap_larger_than_join_kept():
    assert dialogue_intervals([I(0, 1), I(1.5, 2)], [], join_gap=0.3) == [I(0, 1), I(1.5, 2)]
    assert dialogue_intervals([I(0, 1), I(1.5, 2)], [], join_gap=0.6) == [I(0, 2)]


def test_empty():
    assert dialogue_intervals([], []) == []
