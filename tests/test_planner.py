"""Slot planning on timelines whose dialogue and cuts are known exactly."""

import pytest

from cinescribe.describe.planner import PlannerConfig, plan_slots
from cinescribe.errors import InputError
from cinescribe.timeline import Interval

IV = Interval


def spans(slots):
    return [(s.start, s.end, s.word_budget) for s in slots]


def test_gaps_between_dialogue_with_margins_and_budgets():
    dialogue = [IV(2.0, 4.0), IV(5.0, 7.0), IV(10.0, 12.5)]
    cfg = PlannerConfig(min_gap=1.2, words_per_second=2.5, speech_margin=0.1, max_slot=8.0)
    slots = plan_slots(20.0, dialogue, cfg=cfg)
    # [0, 2) starts the video: no margin at 0; [4, 5) is too short after margins;
    # [7, 10) -> [7.1, 9.9]; [12.5, 20) ends the video: no margin at 20.
    assert spans(slots) == [(0.0, 1.9, 4), (7.1, 9.9, 7), (12.6, 20.0, 18)]
    assert [s.index for s in slots] == [0, 1, 2]


def test_slots_never_overlap_dialogue():
    dialogue = [IV(0.5, 1.0), IV(2.3, 2.4), IV(3.9, 8.0), IV(8.05, 9.0)]
    for slot in plan_slots(30.0, dialogue, cuts=[12.0, 15.0, 21.0, 22.0]):
        for d in dialogue:
            assert slot.end <= d.start or slot.start >= d.end


def test_gap_exactly_at_minimum_is_kept_and_below_is_dropped():
    cfg = PlannerConfig(min_gap=1.2, speech_margin=0.0)
    assert spans(plan_slots(5.0, [IV(0, 1.0), IV(2.2, 5.0)], cfg=cfg)) == [(1.0, 2.2, 3)]
    assert plan_slots(5.0, [IV(0, 1.0), IV(2.19, 5.0)], cfg=cfg) == []


def test_long_gap_is_split_at_cuts_and_merged_within_max_slot():
    cfg = PlannerConfig(min_gap=1.2, speech_margin=0.0, max_slot=6.0, words_per_second=2.0)
    # One 20 s gap with cuts at 3, 5, 5.5, 12 and 19.5.
    slots = plan_slots(20.0, [], cuts=[3.0, 5.0, 5.5, 12.0, 19.5], cfg=cfg)
    # Pieces [0,3) [3,5) [5,5.5) [5.5,12) [12,19.5) [19.5,20):
    # [0,5.5) merges (<= 6 s); [5.5,12) is 6.5 s -> split evenly in two;
    # [12,19.5) with the 0.5 s tail joined = [12,20) -> split evenly in two.
    assert spans(slots) == [
        (0.0, 5.5, 11),
        (5.5, 8.75, 6),
        (8.75, 12.0, 6),
        (12.0, 16.0, 8),
        (16.0, 20.0, 8),
    ]


def test_short_gaps_are_not_split_at_cuts():
    cfg = PlannerConfig(speech_margin=0.0, max_slot=8.0)
    assert spans(plan_slots(6.0, [], cuts=[2.0, 4.0], cfg=cfg)) == [(0.0, 6.0, 15)]


def test_custom_words_per_second():
    cfg = PlannerConfig(words_per_second=1.0, speech_margin=0.0)
    assert spans(plan_slots(3.5, [], cfg=cfg)) == [(0.0, 3.5, 3)]


@pytest.mark.parametrize(
    "cfg",
    [PlannerConfig(min_gap=0), PlannerConfig(words_per_second=-1), PlannerConfig(speech_margin=-0.1),
     PlannerConfig(min_gap=3.0, max_slot=2.0)],
)
def test_bad_config_is_an_input_error(cfg):
    with pytest.raises(InputError):
        plan_slots(10.0, [], cfg=cfg)
