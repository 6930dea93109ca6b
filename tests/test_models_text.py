"""Prompt layout, distinctive word sets (DistinctAD eq. 12) and word-budget token limits."""

from __future__ import annotations

from cinescribe.models.text import build_prompt, distinctive_words, max_new_tokens_for, words


def test_distinctive_words_drop_context_stopwords_pronouns_and_names():
    target = "Harry picks up a glowing wand from the table and smiles at her."
    context = ["Harry stands by the table.", "He looks at the wand."]
    assert distinctive_words(target, context, cast=["Harry Potter"]) == {"picks", "glowing", "smiles"}
    assert distinctive_words("Potter runs.", [], cast=["Harry Potter"]) == {"runs"}
    assert distinctive_words("She runs.", ["She runs."]) == set()


def test_words_are_lowercased_and_keep_apostrophes():
    assert words("Harry's WAND, 2 owls!") == ["harry's", "wand", "2", "owls"]


def test_prompt_layout_includes_only_given_parts():
    prompt = build_prompt(["Ann", "Bo"], ["Ann sits.", "Bo waves."], ["Hi there."])
    assert prompt == "Characters: Ann, Bo.\nPreviously: Ann sits. Bo waves.\nDialogue: Hi there.\nDescription:"
    assert build_prompt() == "Description:"


def test_word_budget_to_max_new_tokens_rule():
    assert max_new_tokens_for(10) == 16  # ceil(10 * 1.5) + 1
    assert max_new_tokens_for(3, tokens_per_word=1.3) == 5  # ceil(3.9) + 1
    assert max_new_tokens_for(0) == 2  # at least one token plus EOS
