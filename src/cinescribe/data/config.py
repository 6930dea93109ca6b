"""Where a run's clips come from: one validated config section, one function that builds them.

``source`` picks the kind of input (the other keys are read only by the sources that use them):

* ``features``: an annotation file (MAD / CMD-AD / TV-AD / table, read by
  :func:`~cinescribe.data.annotations.read_annotations`) + per-movie feature arrays
  (``features``: a MAD ``.h5``, ``.npy`` or folder of ``<film>.npy`` at ``fps``);
* ``store``: an annotation file + the feature store at ``store`` (films = video file stems);
* ``text``: text-embedding clips (:mod:`.text_features`) of an annotation file, or of a
  text-only CSV (``corpus`` + ``column``, e.g. TV-AD's ``tvad_train.csv``);
* ``facts``: fact clips (:mod:`.fact_features`, ``facts_frames`` simulated perception frames per
  clip) of the same inputs as ``text``: what ``describe --model`` feeds a model.  ``fact_vector``
  "facts" joins each frame with the slot's actions, setting, characters, ... (175-d), "frames"
  keeps the 99-d perception vectors; ``facts_column`` (a corpus column, e.g. ``text_gt``) is the
  text the facts are read from, when it is not the target ``column``.

Then, for every source: ``keyframes`` (a selector name, "" = off) keeps ``keyframes_k`` key
frames per clip; clips are cut into sequences of ``sequence_length`` with ``stride``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..features.store import FeatureStore
from .annotations import ADSet, read_annotations
from .clips import Clip, ClipSequenceDataset
from .fact_features import VECTORS, fact_clips
from .sources import mad_clips, store_clips, with_keyframes
from .text_features import MODES, read_text_corpus, text_clips

SOURCES = ("features", "store", "text", "facts")


@dataclass
class DataConfig:
    """One data split; ``source`` "" means "no data" (an optional split left out)."""

    source: str = ""
    annotations: str = ""
    format: str = "auto"
    charbank: str = ""
    features: str = ""
    fps: float = 5.0
    store: str = ""
    encoder: str = ""
    corpus: str = ""
    column: str = "text_gt"
    film_size: int = 0
    mode: str = "sentence"
    cache: str = ""
    scene_window: float = 0.0
    scene_neighbours: int = 0
    facts_frames: int = 8
    fact_vector: str = "facts"
    facts_column: str = ""
    keyframes: str = ""
    keyframes_k: int = 4
    sequence_length: int = 8
    stride: int = 0
    history: int = 8
    limit: int = 0

    def __post_init__(self) -> None:
        if self.source not in ("",) + SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got '{self.source}'")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got '{self.mode}'")
        if self.fact_vector not in VECTORS:
            raise ValueError(f"fact_vector must be one of {', '.join(VECTORS)}, got '{self.fact_vector}'")
        if self.sequence_length < 1 or self.stride < 0 or self.keyframes_k < 1 or self.limit < 0 \
                or self.facts_frames < 1:
            raise ValueError("sequence_length, keyframes_k and facts_frames must be >= 1; stride and limit >= 0")

    @property
    def enabled(self) -> bool:
        return bool(self.source)


def _need(config: DataConfig, *keys: str) -> None:
    for key in keys:
        if not getattr(config, key):
            raise InputError(f"data source '{config.source}' needs the '{key}' setting")


def build_clips(config: DataConfig, base: str | Path = ".") -> dict[str, list[Clip]]:
    """Film -> clips in time order, as ``config`` describes; relative paths are under ``base``."""
    def path(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else Path(base) / p

    _need(config, *{"features": ("annotations", "features"), "store": ("annotations", "store")}.get(config.source, ()))
    if config.source in ("text", "facts") and config.corpus:
        ads = read_text_corpus(path(config.corpus), config.column, config.film_size)
    else:
        _need(config, "annotations")
        ads = read_annotations(path(config.annotations), config.format,
                               path(config.charbank) if config.charbank else None).ads
    if config.limit:
        ads = ads[:config.limit]
    if config.source == "text":
        films = text_clips(ads, config.mode, config.scene_neighbours, path(config.cache) if config.cache else None)
    elif config.source == "facts":
        fact_texts = None
        if config.facts_column and config.corpus:
            named = {a.start: a.text for a in read_text_corpus(path(config.corpus), config.facts_column,
                                                                config.film_size)}
            fact_texts = [named.get(a.start, a.text) for a in ads]
        films = fact_clips(ads, config.facts_frames, config.scene_neighbours, vector=config.fact_vector,
                           fact_texts=fact_texts)
    elif config.source == "features":
        films = mad_clips(ADSet(ads, config.annotations, config.format), path(config.features),
                          config.scene_window, config.fps)
    else:
        films = store_clips(ADSet(ads, config.annotations, config.format), FeatureStore(path(config.store)),
                            config.encoder or None, config.scene_window)
    if config.keyframes:
        films = with_keyframes(films, config.keyframes, config.keyframes_k)
    return films


def build_dataset(config: DataConfig, base: str | Path = ".") -> ClipSequenceDataset:
    """The :class:`ClipSequenceDataset` of ``config``."""
    if not config.enabled:
        raise InputError("no data source given: set data.source to one of " + ", ".join(SOURCES))
    return ClipSequenceDataset(build_clips(config, base), config.sequence_length, config.stride or None,
                               config.history)
