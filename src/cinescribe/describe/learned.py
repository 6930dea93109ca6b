"""The learned writer: each slot's AD written by a trained AD model (``describe --model DIR``).

The model (:class:`~cinescribe.models.ADModel`, from ``cinescribe train``) reads what the
perception models measured in a slot's key frames, as perception vectors
(:func:`~cinescribe.features.encoders.perception.perception_vector`, L2-normalised as
:class:`~cinescribe.features.encoders.perception.PerceptionEncoder` does), and was trained on
sequences of N consecutive clips.  A model that reads 175-d fact vectors
(:mod:`cinescribe.data.fact_vector`, trained with ``fact_vector: facts``) also gets what was
measured over the whole slot -- its actions, setting, characters, text, ... (:func:`as_slot_facts`,
from the slot's considered facts) -- joined to every key frame; a 99-d model gets the perception
vectors alone.  For one slot the writer builds the sequence training saw,
with training's collator (:class:`~cinescribe.data.collate.SequenceCollator`):

* clips: the last N-1 slots written (a rolling context, oldest dropped), then this slot; a
  clip's frames are its key frames' vectors ``(T, D)``, D = 99 or 175;
* scene features, for a ``dual_vision`` model only: the vectors of the slots of the clip's own
  window that lie in its detected scene, then its own ``(S, D)``;
* prompts (:func:`~cinescribe.models.text.build_prompt`): the ``previous_ads`` ADs before each
  clip, as in training (describe knows no cast names);

so the model sees ``frames (1, N', T, D)``, ``scene (1, N', S, D)``, ``prompt_ids (1, N', L)``
with ``N' <= N``.  ``ADModel.generate`` sees every clip (Contextual EMA needs the context) but
decodes only the last one (``write_mask``), with this slot's word budget, and penalises the words
of the context's ADs.  The text is then cut to the budget at a word boundary.  N and
``previous_ads`` are read from the model folder's ``inference.json`` (:func:`inference_settings`),
which training saves beside the weights.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from ..data.clips import Clip, ClipSequence
from ..data.collate import SequenceCollator
from ..data.config import DataConfig
from ..data.fact_vector import FACT_DIM, THINGS, SlotFacts, fact_rows
from ..errors import InputError
from ..features.analysers.base import FrameAnalysis
from ..features.encoders.base import hash_files, l2_normalise
from ..features.encoders.perception import PerceptionEncoder, perception_vector
from ..function_words import STOP_WORDS
from ..models import ADModel, ADModelConfig
from ..models.ad_model import CHECKPOINT_KIND
from ..models.checkpoint import CONFIG_NAME, WEIGHTS_NAME, read_config
from ..models.config import config_from_dict
from ..models.inference import INFERENCE_NAME, InferenceConfig
from .facts import Fact

log = logging.getLogger("cinescribe.describe")
DIM = PerceptionEncoder.dim  # 99
DIMS = (DIM, FACT_DIM)
FILM = "describe"
CHARACTER_ID = re.compile(r"c(\d+)$")


def perception_vectors(measured: Sequence[FrameAnalysis]) -> np.ndarray:
    """Key frames' measurements -> ``(T, 99)`` float32, rows of unit length."""
    return l2_normalise(np.stack([perception_vector(fa) for fa in measured]))


def as_slot_facts(facts: Sequence[Fact], genders: Mapping[str, str | None] | None = None) -> SlotFacts:
    """A slot's considered ``facts`` as the words of :class:`~cinescribe.data.fact_vector.SlotFacts`;
    a character's rank is its number (``c3`` -> 3: characters are numbered by first appearance)
    and its gender ``genders[id]``."""
    by_kind: dict[str, list[Fact]] = {}
    for f in facts:
        by_kind.setdefault(f.kind, []).append(f)

    def values(kind: str) -> list[str]:
        return [str(f.value) for f in by_kind.get(kind, [])]

    things = {f.key.split(":", 1)[1] for f in by_kind.get("object", [])} & set(THINGS)
    characters = []
    for cid in values("character"):
        number = CHARACTER_ID.match(cid)
        if number:
            characters.append((int(number.group(1)), (genders or {}).get(cid)))
    scale = next(iter(values("scale")), None)
    return SlotFacts(frozenset(values("action")), frozenset(values("setting")), frozenset(things),
                     next(iter(values("place")), None), next(iter(values("daylight")), None), tuple(characters),
                     "text" in by_kind, "scene" in by_kind, "wide" if scale == "wide shot" else scale,
                     "fade" in by_kind, "dark" in values("light"), "camera" in by_kind)


def fit_words(text: str, budget: int) -> str:
    """``text`` with at most ``budget`` words, cut at a word boundary; a cut also drops trailing
    punctuation and trailing function words, so that no sentence ends on "the" or "is on":
    ``fit_words("The man is on the bridge.", 4) == "The man"``."""
    words = text.split()
    if len(words) <= budget:
        return " ".join(words)
    kept = words[:max(budget, 0)]
    while kept and _bare(kept[-1]) in STOP_WORDS:
        kept.pop()
    return " ".join(kept).rstrip(",;:-–— ")


def _bare(word: str) -> str:
    return word.strip(",;:.!?-–—\"'").lower()


def weights_hash(folder: str | Path) -> str:
    """``sha256:<hex>`` of the model's weights file."""
    return hash_files([Path(folder) / WEIGHTS_NAME])


def check_model(folder: str | Path, lm_path: str = "") -> ADModelConfig:
    """The config of the AD model at ``folder``, checked for describe without loading it: a
    checkpoint folder, 99-d perception-vector inputs, and a language model that is there
    (``lm_path``, else the one saved in the model)."""
    folder = Path(folder)
    try:
        raw = read_config(folder, CHECKPOINT_KIND)
    except InputError as exc:
        raise InputError(f"--model: not a trained AD model folder ({exc}); cinescribe train writes one in "
                         "<output_dir>/model") from None
    config = config_from_dict(ADModelConfig, raw, str(folder / CONFIG_NAME))
    scene_dim = (config.scene_dim or config.vision_dim) if config.dual_vision else config.vision_dim
    if config.vision_dim not in DIMS or scene_dim != config.vision_dim:
        raise InputError(f"--model {folder}: the model reads {config.vision_dim}-d features, but describe feeds "
                         f"it {DIM}-d perception vectors or {FACT_DIM}-d fact vectors; train it on fact clips "
                         "(data source 'facts') or perception features (encoder 'perception')")
    lm = lm_path or config.lm_path
    if not lm or not (Path(lm).expanduser() / "config.json").is_file():
        raise InputError(f"--model {folder}: its language model {lm or '(none saved)'} is not there; "
                         "pass the language model's folder with --model-lm DIR")
    return config


def inference_settings(folder: str | Path) -> InferenceConfig:
    """What the model at ``folder`` was trained with (its ``inference.json``, written by ``cinescribe
    train``); for a model saved without one, training's defaults, with a warning."""
    saved = InferenceConfig.read(folder)
    if saved is not None:
        return saved
    assumed = InferenceConfig(DataConfig().sequence_length)
    log.warning(f"{folder} has no {INFERENCE_NAME}: assuming sequences of {assumed.sequence_length} clips and "
                f"{assumed.previous_ads} previous ADs per prompt, training's defaults")
    return assumed


@dataclass(frozen=True)
class WrittenSlot:
    """One slot in the rolling context: ``frames`` (T, D), ``scene`` (S, D) or None (a model
    without dual vision), the detected scene it lies in and its AD."""

    frames: np.ndarray
    scene: np.ndarray | None
    scene_id: int | None
    text: str

    def clip(self) -> Clip:
        return Clip(FILM, 0.0, 0.0, self.text, self.frames, self.scene)


class LearnedWriter:
    """Writes the ADs of one video's slots, in order, with an :class:`ADModel`; see the module doc.

    ``clips`` = N (the sequence length the model was trained on), ``previous`` = the previous
    ADs each prompt shows.  ``context`` holds the last N-1 slots, ``history`` the ADs before them.
    """

    def __init__(self, model: ADModel, clips: int, previous: int = 0):
        if clips < 1 or previous < 0:
            raise ValueError(f"clips must be >= 1 and previous >= 0 (got {clips}, {previous})")
        self.model = model.eval()
        self.clips, self.previous = clips, previous
        self.device = next(model.parameters()).device
        self.collator = SequenceCollator(model.tokenizer, model.config.resampler.max_frames, previous, distinct=False)
        self.context: deque[WrittenSlot] = deque()
        self.history: deque[str] = deque(maxlen=previous)

    @classmethod
    def load(cls, folder: str | Path, lm_path: str = "") -> "LearnedWriter":
        """The model at ``folder`` (its LM from ``lm_path`` if given), on the GPU if there is one."""
        check_model(folder, lm_path)
        settings = inference_settings(folder)
        model = ADModel.from_pretrained(folder, lm_path=lm_path or None)
        return cls(model.to("cuda" if torch.cuda.is_available() else "cpu"), settings.sequence_length,
                   settings.previous_ads)

    def fresh(self) -> "LearnedWriter":
        """A writer of the same model with an empty context (for the next video)."""
        return LearnedWriter(self.model, self.clips, self.previous)

    @property
    def memory(self) -> int:
        """How many slots before the next one its AD depends on (context + prompt history)."""
        return self.clips - 1 + self.previous

    @property
    def reads_slot_facts(self) -> bool:
        """Whether the model reads 175-d fact vectors (the slot's facts joined to each frame)."""
        return self.model.config.vision_dim == FACT_DIM

    def write(self, measured: Sequence[FrameAnalysis], word_budget: int, scene_id: int | None = None,
              facts: SlotFacts | None = None) -> str:
        """The AD of the next slot: its key frames' ``measured`` analyses, at most ``word_budget``
        words; ``scene_id`` is the detected scene it lies in, ``facts`` what was measured over the
        slot (read only by a fact-vector model).  The slot joins the context."""
        current = self._slot(measured, scene_id, "", facts)
        sequence = ClipSequence(FILM, tuple(s.clip() for s in (*self.context, current)), tuple(self.history))
        n = len(sequence.clips)
        batch = self.collator([sequence]).to(self.device)
        x = batch.inputs
        last = torch.zeros_like(x["clip_mask"], dtype=torch.bool)
        last[0, n - 1] = True  # the context's ADs were written before: only this slot's is decoded
        penalised = [[sequence.previous_ads(j, max(self.previous, self.clips - 1)) for j in range(n)]]
        with torch.inference_mode():
            generated = self.model.generate(x["frames"], x["prompt_ids"], x["prompt_mask"], [[word_budget] * n],
                                            previous_ads=penalised, cast=batch.cast, frame_mask=x["frame_mask"],
                                            scene=x.get("scene"), scene_mask=x.get("scene_mask"),
                                            clip_mask=x["clip_mask"], write_mask=last)
        text = fit_words(generated.texts[0][-1], word_budget)
        self._push(replace(current, text=text))
        return text

    def remember(self, measured: Sequence[FrameAnalysis], text: str, scene_id: int | None = None,
                 facts: SlotFacts | None = None) -> None:
        """Add a slot written earlier (a resumed run's journal) to the context, as :meth:`write` does."""
        self._push(self._slot(measured, scene_id, text, facts))

    def _slot(self, measured: Sequence[FrameAnalysis], scene_id: int | None, text: str,
              facts: SlotFacts | None) -> WrittenSlot:
        frames = perception_vectors(measured)
        if self.reads_slot_facts:
            frames = fact_rows(frames, facts or SlotFacts())
        scene = None
        if self.model.config.dual_vision:
            scene = np.concatenate([*(s.frames for s in self.context if s.scene_id == scene_id), frames])
        return WrittenSlot(frames, scene, scene_id, text)

    def _push(self, slot: WrittenSlot) -> None:
        self.context.append(slot)
        while len(self.context) > self.clips - 1:
            self.history.append(self.context.popleft().text)
