"""One declaration of describe's options: defaults, validation and the flags of `describe` and `batch`."""

from __future__ import annotations

import pytest
import typer

from cinescribe.cli import app
from cinescribe.describe.config import POLISH_PACKAGED, DescribeConfig
from cinescribe.describe.options import DescribeOptions
from cinescribe.errors import InputError


def test_defaults_are_the_configs():
    assert DescribeOptions().config() == DescribeConfig()


def test_values_reach_the_config(tmp_path):
    cfg = DescribeOptions(words_per_second=3.0, polish=True, asr=False, keyframes=5, objects=False).config()
    assert (cfg.planner.words_per_second, cfg.polish, cfg.asr, cfg.keyframes, cfg.objects) == (3.0, POLISH_PACKAGED,
                                                                                                 "", 5, False)
    lm = tmp_path / "lm"
    lm.mkdir()
    assert DescribeOptions(polish_model=lm, asr_model="tiny.en").config().polish == str(lm.resolve())
    assert DescribeOptions(asr_model="tiny.en").config().asr == "tiny.en"


@pytest.mark.parametrize("values, message", [({"min_gap": float("nan")}, "--min-gap: input should be a finite number"),
                                             ({"shot_fps": float("inf")}, "--shot-fps"),
                                             ({"keyframes": "many"}, "--keyframes"),
                                             ({"colour": True}, "--colour")])
def test_bad_values_name_the_flag(values, message):
    with pytest.raises(InputError, match=message):
        DescribeOptions.parse(values)


def test_out_of_range_is_refused_by_the_config():
    with pytest.raises(InputError, match="--keyframes must be between 1 and 16"):
        DescribeOptions(keyframes=0).config()


def test_describe_and_batch_have_every_option_once():
    commands = typer.main.get_command(app).commands
    for name in ("describe", "batch"):
        params = [p.name for p in commands[name].params]
        assert len(params) == len(set(params))
        assert set(DescribeOptions.model_fields) <= set(params), name
        assert params[-1] == "quiet"
    flags = {o for p in commands["describe"].params for o in p.opts + p.secondary_opts}
    assert {"--min-gap", "--words-per-second", "--no-objects", "--polish-model", "--no-asr", "--asr-model",
            "--extended", "--cast"} <= flags
