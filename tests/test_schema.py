"""The AD script's published JSON Schema: current with the code, and real ``describe`` output is valid."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import jsonschema
import pytest

from cinescribe.describe.pipeline import DescribeConfig
from cinescribe.describe.schema import ADScriptDoc, schema_text
from cinescribe.describe.script import SCHEMA

from conftest import describe_files
from test_describe_pipeline import FakeCatDetector

PUBLISHED = Path(__file__).resolve().parents[1] / "schemas" / "ad-script.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_published_schema_is_generated_from_the_code():
    assert PUBLISHED.read_text(encoding="utf-8") == schema_text(), \
        "run: python -m cinescribe.describe.schema schemas/ad-script.schema.json"
    assert typing.get_type_hints(ADScriptDoc)["schema"].__args__ == (SCHEMA,)


def test_describe_output_is_valid(speech_video, tmp_path):
    """Whisper's transcript and the pipeline's facts (a stand-in object detector; the demo command's test
    checks the output of every real model against the schema too)."""
    cfg = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False, asr="tiny.en", shots="content")
    _, paths = describe_files(speech_video.path, tmp_path, cfg=cfg, analysers=[FakeCatDetector()])
    doc = json.loads(paths["json"].read_text())
    assert doc["transcript"]["segments"] and any(d["text"] for d in doc["descriptions"])
    validator().validate(doc)
    broken = {**doc, "descriptions": [{k: v for k, v in doc["descriptions"][0].items() if k != "word_budget"}]}
    with pytest.raises(jsonschema.ValidationError, match="'word_budget' is a required property"):
        validator().validate(broken)
