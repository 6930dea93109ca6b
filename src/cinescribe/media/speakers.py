"""Speaker turns: who speaks each line of the transcript, as ``S1, S2, ...`` in order of first speaking.

Input: mono float32 audio at 16 kHz and its :class:`~.asr.Transcript`.  Output: the transcript
with each segment's ``speaker`` set (segments too short to embed inherit nothing and stay "").

1. **One voice per line.**  The audio of a segment's words (each word's span cut to the speech
   activity regions, the words joined) is embedded by the GE2E voice encoder (:mod:`.voice_encoder`) when it holds at least
   ``MIN_SPEECH`` s of words: a shorter line says too little about its voice.
2. **Clustering over the video.**  Average-linkage agglomerative clustering of the embeddings
   of the lines with at least ``MIN_CLUSTERED`` s of words (shorter lines were the outliers that
   split one voice in two) on cosine distance ``1 - cos``.  As for faces (the characters), the
   cut is chosen per video: the middle of the widest gap between successive merge heights inside
   ``[MERGE_ALWAYS, MERGE_NEVER]`` (:func:`choose_cut`); with no merge inside, everything merged
   below the range is one voice.
3. **Short lines** join the voice whose mean embedding is nearest, if its distance is within the cut.
4. **Labels** ``S1, S2, ...`` by the time each voice first speaks.

The range comes from synthetic voices (espeak-ng, ``benchmarks/bench_speakers.py``): lines of one
voice merged at distances 0.08-0.20 (a line of 1.3 s at 0.29: hence ``MIN_CLUSTERED``), two voices
at 0.35-0.39.  Real voices differ more than formant-synthesis voices built on one source model,
but recording conditions vary more too; the range has not been checked on real dialogue.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from ..timeline import Interval
from .asr import Segment, Transcript

RATE = 16000
MIN_SPEECH = 0.6  # seconds of words a line needs for an embedding
MIN_CLUSTERED = 1.5  # ... and to take part in finding the voices
WORD_PAD = 0.05
MERGE_ALWAYS = 0.2  # cosine distance below which two lines are one voice (similarity 0.8)
MERGE_NEVER = 0.45  # ... and above which they never are (similarity 0.55)


def choose_cut(heights: Sequence[float], lo: float = MERGE_ALWAYS, hi: float = MERGE_NEVER) -> float:
    """The cosine distance at which to cut the dendrogram whose merges happened at ``heights``: the
    middle of the widest gap between successive heights inside ``(lo, hi)`` (``lo`` and ``hi`` count)."""
    points = [lo, *sorted(h for h in heights if lo < h < hi), hi]
    _, i = max((points[k + 1] - points[k], k) for k in range(len(points) - 1))
    return (points[i] + points[i + 1]) / 2


def cluster_voices(embeddings: np.ndarray, cut: float | None = None) -> tuple[list[int], float]:
    """A cluster label per row of ``embeddings`` ``(lines, dim)`` (unit vectors) and the cut used."""
    n = len(embeddings)
    if n == 0:
        return [], MERGE_NEVER if cut is None else cut
    if n == 1:
        return [0], MERGE_NEVER if cut is None else cut
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    d = np.clip(1.0 - embeddings @ embeddings.T, 0.0, 2.0)
    np.fill_diagonal(d, 0.0)
    z = linkage(squareform((d + d.T) / 2, checks=False), method="average")
    if cut is None:
        cut = choose_cut(z[:, 2])
    return [int(v) - 1 for v in fcluster(z, t=cut, criterion="distance")], cut


def voiced_spans(segment: Segment, speech: Sequence[Interval] | None = None) -> list[tuple[float, float]]:
    """The spans of ``segment``'s words (the segment when it has no word times), cut to the speech
    activity ``speech`` when given: Whisper can stretch a word over the silence before it."""
    spans = [(w.start, w.end) for w in segment.words] or [(segment.start, segment.end)]
    if speech is None:
        return spans
    return [(max(a, r.start), min(b, r.end)) for a, b in spans for r in speech if max(a, r.start) < min(b, r.end)]


def line_audio(audio: np.ndarray, spans: Sequence[tuple[float, float]], rate: int = RATE) -> np.ndarray:
    """The samples of ``spans`` (each padded by ``WORD_PAD`` s), joined."""
    pieces = [audio[max(0, int((a - WORD_PAD) * rate)): int((b + WORD_PAD) * rate)] for a, b in spans]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def speech_seconds(spans: Sequence[tuple[float, float]]) -> float:
    return sum(b - a for a, b in spans)


def speaker_turns(audio: np.ndarray, transcript: Transcript, encoder=None, rate: int = RATE,
                  cut: float | None = None, speech: Sequence[Interval] | None = None) -> Transcript:
    """``transcript`` with its segments' speakers; see the module docstring.  ``encoder``: a
    :class:`~.voice_encoder.VoiceEncoder` (default: the packaged one); ``speech``: the speech
    activity regions (seconds), to which the lines' words are cut."""
    if rate != RATE:
        raise ValueError(f"speaker turns need {RATE} Hz audio (got {rate})")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    spans = [voiced_spans(s, speech) for s in transcript.segments]
    embedded = [i for i, sp in enumerate(spans) if speech_seconds(sp) >= MIN_SPEECH]
    if not embedded:
        return transcript
    if encoder is None:
        from .voice_encoder import load_voice_encoder

        encoder = load_voice_encoder()
    from .voice_encoder import single_thread

    with single_thread():
        vectors = {i: encoder.embed(line_audio(audio, spans[i], rate)) for i in embedded}
    long = [i for i in embedded if speech_seconds(spans[i]) >= MIN_CLUSTERED] or embedded
    labels, cut = cluster_voices(np.stack([vectors[i] for i in long]), cut)
    found = {i: lab for i, lab in zip(long, labels)}
    centres = {lab: _unit(sum(vectors[i] for i in long if found[i] == lab)) for lab in set(labels)}
    for i in embedded:  # a short line joins the nearest voice if it is close enough to it
        if i not in found:
            sim, lab = max((float(vectors[i] @ c), lab) for lab, c in centres.items())
            if 1.0 - sim <= cut:
                found[i] = lab
    order = {lab: n for n, lab in enumerate(dict.fromkeys(found[i] for i in sorted(found)), start=1)}
    segments = [replace(s, speaker=f"S{order[found[i]]}" if i in found else "")
                for i, s in enumerate(transcript.segments)]
    return Transcript(transcript.language, transcript.language_probability, transcript.model, segments)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)
