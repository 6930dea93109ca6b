"""The options of ``describe`` (and ``batch``, which describes every video the same way), declared once.

:class:`DescribeOptions` is a pydantic model: each field's default comes from
:class:`~.config.DescribeConfig` (and :class:`~.planner.PlannerConfig`), its description is the
``--help`` text, and the command line's flags are made from the fields (``cinescribe.cli``), so
``describe`` and ``batch`` share one declaration.  :meth:`DescribeOptions.config` turns the options
into the :class:`~.config.DescribeConfig` the pipeline reads, and validates it; a value of the
wrong type, or NaN or infinity, is a one-line :class:`~cinescribe.errors.InputError` naming the flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from .config import POLISH_PACKAGED, DescribeConfig
from .planner import PlannerConfig

_CONFIG = DescribeConfig()
_PLANNER = PlannerConfig()


class DescribeOptions(BaseModel):
    """What decides what ``describe`` writes, as the command line gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    min_gap: float = Field(_PLANNER.min_gap, description="Shortest dialogue gap, in seconds, that gets an AD.")
    words_per_second: float = Field(_PLANNER.words_per_second,
                                    description="Speaking rate that sets each slot's word budget.")
    speech_margin: float = Field(_PLANNER.speech_margin,
                                 description="Seconds kept clear of dialogue on each side of an AD.")
    max_slot: float = Field(_PLANNER.max_slot, description="Gaps longer than this are split at shot cuts.")
    vad: str = Field(_CONFIG.vad, description="Speech-activity backend: silero or energy.")
    shot_fps: float = Field(_CONFIG.shot_fps, description="Frames per second of the slots' frames (light, motion, "
                            "key frames), and of the content and threshold cut detectors.")
    keyframes: int = Field(_CONFIG.keyframes, description="Frames per slot measured by the perception models.")
    keyframe_selector: str = Field(_CONFIG.keyframe_selector, description="How those frames are chosen: uniform "
                                   "(centres of equal parts), events (DynFocus-style, one per visual event) or "
                                   "redundancy.")
    max_side: int = Field(_CONFIG.max_side, description="Longest side, in pixels, of the frames the models see.")
    objects: bool = Field(_CONFIG.objects, description="Detect objects (COCO classes).")
    faces: bool = Field(_CONFIG.faces, description="Detect faces and their expression.")
    poses: bool = Field(_CONFIG.poses, description="Estimate body pose and find hands.")
    ocr: bool = Field(_CONFIG.ocr, description="Read on-screen text.")
    setting: bool = Field(_CONFIG.setting, description="Classify frames (ImageNet) and measure greenery for the "
                          "setting, indoors/outdoors and day/night.")
    polish: bool = Field(False, description="Rephrase each sentence with the packaged Gemma 3 270M, constrained to "
                         "the words of its facts.")
    polish_model: Optional[Path] = Field(None, description="Polish with this local transformers causal-LM folder "
                                         "instead (implies --polish).")
    model: Optional[Path] = Field(None, description="A trained AD model folder (cinescribe train / "
                                  "scripts/train_default.py); its ADs are written by the model, not constrained "
                                  "to the measured facts.")
    model_lm: Optional[Path] = Field(None, description="The language model folder of --model, if it is no longer "
                                     "where the model was trained with it.")
    cast: Optional[Path] = Field(None, description="The cast: a folder of NAME/photo.jpg, or a JSON file "
                                 "{\"NAME\": [\"photo.jpg\", ...]}; characters whose face matches a photo are "
                                 "called by that name.")
    shots: str = Field(_CONFIG.shots, description="Shot-cut detector: combined (TransNetV2 on every 2nd frame, "
                       "plus picture steps and dips to black on every frame), transnetv2 (the network alone), "
                       "content (colour histograms at --shot-fps) or threshold (fades only).")
    asr: bool = Field(bool(_CONFIG.asr), description="Recognise the dialogue (Whisper): words, language, subtitles "
                      "when none are given; off is faster and counts all speech activity.")
    asr_model: str = Field(_CONFIG.asr or "base", description="Whisper size: base (multilingual, default) or "
                           "tiny.en (English, ~3x faster).")
    asr_language: str = Field(_CONFIG.asr_language, description="Language of the dialogue (ISO 639-1, e.g. en, "
                              "fr); default: detected.")
    extended: bool = Field(_CONFIG.extended, description="Extended AD: where a scene opens, on-screen text appears or "
                           "a character is first seen with no gap for its AD, plan a pause of the picture (marked "
                           "in the JSON; export --formats extended).")
    speakers: bool = Field(_CONFIG.speakers, description="Speaker turns: tell the voices of the recognised lines "
                           "apart (S1, S2, ... in the transcript, subtitles and text alternative).")
    device: str = Field(_CONFIG.device, description="Where the PyTorch models run: auto (a CUDA GPU when there is "
                        "one), cpu or cuda.")
    perception_runtime: str = Field(_CONFIG.perception_runtime, description="What runs the people, object, face and "
                                    "hand models: node (TF.js workers, one per core), torch (the same graphs in "
                                    "PyTorch, on --device, same results) or auto (torch on a GPU, node on the CPU).")

    @classmethod
    def parse(cls, values: dict[str, Any]) -> "DescribeOptions":
        """The options from ``values`` (field name -> value); InputError naming the first bad flag."""
        try:
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            flag = "--" + str(err["loc"][0]).replace("_", "-") if err["loc"] else "an option"
            raise InputError(f"{flag}: {err['msg'].lower()} (got {err.get('input')!r})") from None

    def config(self) -> DescribeConfig:
        """The validated :class:`DescribeConfig` of these options (InputError if a value is out of range)."""
        cfg = DescribeConfig(
            planner=PlannerConfig(min_gap=self.min_gap, words_per_second=self.words_per_second,
                                  speech_margin=self.speech_margin, max_slot=self.max_slot),
            shot_fps=self.shot_fps, keyframes=self.keyframes, keyframe_selector=self.keyframe_selector,
            max_side=self.max_side, vad=self.vad, objects=self.objects, faces=self.faces, poses=self.poses,
            ocr=self.ocr, setting=self.setting,
            polish=str(self.polish_model.resolve()) if self.polish_model else (POLISH_PACKAGED if self.polish else ""),
            model=_resolved(self.model), model_lm=_resolved(self.model_lm), cast=_resolved(self.cast),
            shots=self.shots, asr=self.asr_model if self.asr else "", asr_language=self.asr_language,
            extended=self.extended, speakers=self.speakers, device=self.device,
            perception_runtime=self.perception_runtime,
        )
        cfg.validate()
        return cfg


def _resolved(path: Path | None) -> str:
    return str(path.resolve()) if path else ""
