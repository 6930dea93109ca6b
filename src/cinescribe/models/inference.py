"""What using a trained AD model needs besides its weights, saved beside them as ``inference.json``.

Like a transformers model folder's ``generation_config.json``: ``cinescribe train`` writes the
sequence length the model was trained on and how many previous ADs each prompt showed, so that
``describe --model DIR`` rebuilds the inputs training saw from the model folder alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..atomic import write_json
from ..defaults import WORDS_PER_SECOND
from ..errors import InputError

INFERENCE_NAME = "inference.json"


@dataclass(frozen=True)
class InferenceConfig:
    """``sequence_length``: clips per training sequence (N); ``previous_ads``: ADs before each clip in
    its prompt; ``words_per_second``: the rate of the word budgets it learnt."""

    sequence_length: int
    previous_ads: int = 0
    words_per_second: float = WORDS_PER_SECOND

    def save(self, folder: str | Path) -> Path:
        return write_json(Path(folder) / INFERENCE_NAME, asdict(self))

    @classmethod
    def read(cls, folder: str | Path) -> "InferenceConfig | None":
        """The settings saved in ``folder``; None for a model saved without them."""
        path = Path(folder) / INFERENCE_NAME
        if not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            config = cls(int(raw["sequence_length"]), int(raw["previous_ads"]), float(raw["words_per_second"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path} is not a valid inference config ({exc}); train the model again") from None
        if config.sequence_length < 1 or config.previous_ads < 0 or not config.words_per_second > 0:
            raise InputError(f"{path}: sequence_length must be >= 1, previous_ads >= 0, words_per_second > 0")
        return config
