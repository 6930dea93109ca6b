"""What ``describe`` does, as one frozen :class:`DescribeConfig` (printed into every AD script).

Light to import (the backends' registries are imported when a config is validated), so that the
command line can build its flags from :class:`~.options.DescribeOptions`, whose defaults are these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..torch_device import check_device_name, resolve_device

PERCEPTION_RUNTIMES = ("auto", "node", "torch")
from .planner import PlannerConfig

if TYPE_CHECKING:
    from ..media.asr import AsrConfig

POLISH_PACKAGED = "gemma3-270m"


@dataclass(frozen=True)
class DescribeConfig:
    """Everything that changes what ``describe`` writes; printed into the JSON output."""

    planner: PlannerConfig = field(default_factory=PlannerConfig)
    shot_fps: float = 4.0
    keyframes: int = 3
    track_fps: float = 2.0
    track_frames: int = 16
    max_side: int = 640
    vad: str = "silero"
    novelty_window: int = 3
    objects: bool = True
    faces: bool = True
    poses: bool = True  # body poses and hands
    ocr: bool = True
    setting: bool = True
    keyframe_selector: str = "uniform"
    polish: str = ""
    model: str = ""
    model_lm: str = ""
    cast: str = ""
    shots: str = "combined"
    asr: str = "base"
    asr_language: str = ""
    extended: bool = False
    speakers: bool = False
    device: str = "auto"  # where the PyTorch models run (cinescribe.torch_device)
    perception_runtime: str = "auto"  # the people/object/face/hand graphs: node, torch, or auto (torch on a GPU)

    @property
    def asr_config(self) -> AsrConfig:
        from ..media.asr import AsrConfig

        return AsrConfig(model=self.asr, language=self.asr_language)

    def validate(self) -> None:
        """Every value in range and every named backend, model and file there; InputError naming the flag if not."""
        from ..features.keyframes import SELECTORS
        from ..media.shots import DETECTORS
        from ..media.vad import BACKENDS

        self.planner.validate()
        if not 0.5 <= self.shot_fps <= 30:
            raise InputError(f"--shot-fps must be between 0.5 and 30 (got {self.shot_fps})")
        if not 0.5 <= self.track_fps <= self.shot_fps:
            raise InputError(f"track_fps must be between 0.5 and shot_fps ({self.shot_fps}) (got {self.track_fps})")
        if not 2 <= self.track_frames <= 64:
            raise InputError(f"track_frames must be between 2 and 64 (got {self.track_frames})")
        if not 1 <= self.keyframes <= 16:
            raise InputError(f"--keyframes must be between 1 and 16 (got {self.keyframes})")
        if not 64 <= self.max_side <= 4096:
            raise InputError(f"--max-side must be between 64 and 4096 (got {self.max_side})")
        if self.novelty_window < 0:
            raise InputError(f"--novelty-window must be zero or more (got {self.novelty_window})")
        if self.polish and self.polish != POLISH_PACKAGED and not Path(self.polish).is_dir():
            raise InputError(f"--polish-model {self.polish}: no such folder; give a transformers causal-LM folder")
        if self.model and self.polish:
            raise InputError("--model and --polish both write the ADs' text; choose one")
        if self.model_lm and not self.model:
            raise InputError("--model-lm is the language model of an AD model: give --model too")
        if self.model:
            if not Path(self.model).is_dir():
                raise InputError(f"--model {self.model}: no such folder; give a trained AD model folder "
                                 "(cinescribe train writes <output_dir>/model)")
            from .learned import check_model

            check_model(self.model, self.model_lm)
        if self.keyframe_selector not in SELECTORS:
            raise InputError(f"unknown --keyframe-selector {self.keyframe_selector!r}; "
                             f"choose one of: {', '.join(SELECTORS)}")
        if self.cast:
            from .cast import read_cast

            read_cast(self.cast)
        if self.shots not in DETECTORS:
            raise InputError(f"unknown --shots {self.shots!r}; choose one of: {', '.join(sorted(DETECTORS))}")
        if self.asr:
            self.asr_config.validate()
        elif self.asr_language:
            raise InputError("--asr-language needs speech recognition; drop --no-asr")
        if self.speakers:
            if not self.asr:
                raise InputError("--speakers needs speech recognition (its lines); drop --no-asr")
            from ..media.voice_encoder import weights_path

            weights_path()
        if self.vad not in BACKENDS:
            raise InputError(f"unknown --vad {self.vad!r}; choose one of: {', '.join(sorted(BACKENDS))}")
        if check_device_name(self.device) == "cuda":
            resolve_device(self.device)
        if self.perception_runtime not in PERCEPTION_RUNTIMES:
            raise InputError(f"unknown --perception-runtime {self.perception_runtime!r}; choose one of: "
                             f"{', '.join(PERCEPTION_RUNTIMES)}")

    def runtime_for(self, device: str) -> str:
        """The perception runtime for the resolved torch ``device``: ``auto`` is torch on a GPU, node on the CPU."""
        if self.perception_runtime != "auto":
            return self.perception_runtime
        return "torch" if device == "cuda" else "node"
