"""Every config shipped in configs/ is valid: known keys, sound values."""

from pathlib import Path

import pytest

from cinescribe.train.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_config_loads(path):
    config, base = load_config(path, {})
    assert Path(base) == path.parent


def test_the_fact_configs_differ_only_in_their_vector():
    root = Path(__file__).resolve().parents[1] / "configs"
    facts, _ = load_config(root / "tvad_facts" / "base.yaml", {})
    perception, _ = load_config(root / "tvad_perception" / "base.yaml", {})
    assert (facts.data.fact_vector, facts.data.facts_column) == ("facts", "text_gt")
    assert (perception.data.fact_vector, perception.data.facts_column) == ("frames", "")
    assert facts.data.column == perception.data.column == "text_gt_wo_char"
