"""``describe``: one video in, an AD script out.

The flow (DESIGN.md): probe -> subtitles -> audio -> speech activity -> dialogue; ONE
streamed decode pass (:class:`~cinescribe.media.framepass.FramePass`) that feeds the shot
detector ``shots`` at its own rate and size (combined: every frame at 96x54) and spools
the frames of the dialogue gaps at ``shot_fps`` and ``max_side`` to a temporary file (memory
stays flat for any length); cuts and scenes; slots planned in the dialogue gaps; then, per slot,
the slot's frames read back from the spool for pixel statistics, ``keyframes`` of them chosen by
``keyframe_selector`` (:mod:`cinescribe.features.keyframes`; default uniform: on the demo, the
events selector spent two of three frames on a 0.4 s tail after a cut and lost a face) and
measured by the perception models; the object, pose and hand models also see about
``track_fps`` frames a second of the slot (at most ``track_frames``), on which people, hands and
objects are tracked within each shot (:mod:`.tracks`) and what people do is read
(:mod:`.actions`) -- the dearest step: an 8 s slot is 19 frames instead of 3 (on ``vtest.avi``, 2
busy cores, the slots took 978 s instead of 214 s). The faces of all slots' key frames are grouped
into characters (:mod:`.characters`, named from ``cast`` when given); then per slot facts -> novelty
-> one sentence within the word budget, characters referred to consistently over the video.
With faces measured, every slot is measured before the first is written (an interrupted run
then resumes from the per-frame analysis cache); without, each slot is written as it is measured.
With ``model`` (a trained AD model folder), the sentence is written by that model instead, from
the key frames' perception vectors and the neighbouring slots (:mod:`.learned`); the facts are
still measured and recorded, but the text is not constrained to them.
With ``asr`` (a Whisper size; "" = off), the speech regions are recognised (:mod:`..media.asr`):
only regions with words count as dialogue, the transcript and the names heard go into the script,
and facts just said in the dialogue are down-weighted (:mod:`.heard`); with ``speakers``, the
lines are labelled with the voices told apart (:mod:`..media.speakers`).  With ``extended``, the shot
openings that no slot covers are measured (their frames, under dialogue and so not spooled, are
decoded on their own), and those that open a scene, show on-screen text or show a character
for the first time (the characters are found with their faces too) get a pause of the picture
(:mod:`.extended`).
Bad input raises :class:`InputError` before any output is written.
"""

from __future__ import annotations

import bisect
import logging
import math
import platform
import time
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Sequence

import numpy as np
from .. import __version__
from ..features.analysis_cache import analyse_cached, analysis_caches, lazy_default_analysers
from ..features.analysers.base import Analyser, FrameAnalysis
from ..features.analysers.pixels import PixelAnalyser
from ..features.encoders.pixels import PixelEncoder
from ..features.keyframes import select_keyframes
from ..features.store import FeatureStore
from ..media.audio import UndecodableAudio, extract_audio
from ..media.asr import Transcript, transcribe
from ..media.speakers import speaker_turns
from ..media.dialogue import dialogue_intervals, heard_speech
from ..media.fingerprint import fingerprint
from ..media.framepass import FramePass, FrameSpool, Tap
from ..media.frames import Frame, sample_frames
from ..media.probe import MediaInfo, probe
from ..media.shots import Scene, group_scenes, make_detector
from ..media.subtitles import read_subtitles
from ..media.vad import detect_speech
from ..memory import release_freed_memory
from ..progress import progress_bar
from ..timeline import Interval, complement
from ..torch_device import resolve_device
from .characters import CharacterReferences, character_facts, find_characters
from .config import POLISH_PACKAGED, DescribeConfig
from .extended import essential, first_appearances, mark_extended, plan_pauses, uncovered_openings
from .facts import slot_facts, text_facts
from .heard import down_weight_heard, heard_names, line_before
from .tracks import track_shots
from .novelty import NoveltyTracker
from .journal import SlotJournal
from .planner import plan_slots
from .script import ADScript, AudioDescription
from .style import SpeechTime, check_document
from .writer import write

log = logging.getLogger("cinescribe.describe")
AUDIO_RATE = 16000
LEARNED_REASON = ("written by the AD model from the key frames' perception vectors, "
                  "not constrained to the measured facts")
TRACKING_ANALYSERS = ("human",)  # the analysers run on every tracking frame (people, objects, hands)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _dialogue(info: MediaInfo, subtitles: Path | None, cfg: DescribeConfig, warnings: list[str]):
    cues = read_subtitles(subtitles) if subtitles else []
    speech: list[Interval] = []
    transcript: Transcript | None = None
    if info.has_audio:
        with progress_bar("Speech activity", total=None):
            try:
                audio = extract_audio(info.path, rate=AUDIO_RATE)
            except UndecodableAudio as exc:
                warnings.append(f"{exc}: no dialogue detected, the whole video is available for AD")
                log.warning(warnings[-1])
                audio = np.zeros(0, dtype=np.float32)
            if audio.size:
                speech = detect_speech(audio, AUDIO_RATE, backend=cfg.vad)
        if cfg.asr and audio.size:
            with progress_bar(f"Speech recognition (Whisper {cfg.asr})", total=None):
                transcript = transcribe(audio, speech, cfg.asr_config)
            if transcript.segments and transcript.language_probability < 0.5 and not cfg.asr_language:
                warnings.append(f"speech language uncertain (detected {transcript.language!r} with probability "
                                f"{transcript.language_probability:.2f}); give --asr-language if it is wrong")
                log.warning(warnings[-1])
            if cfg.speakers and transcript.segments:
                with progress_bar("Speaker turns (voice encoder)", total=None):
                    transcript = speaker_turns(audio, transcript, speech=speech)
    else:
        warnings.append("video has no audio track: no dialogue detected, the whole video is available for AD")
    heard = heard_speech(speech, [Interval(w.start, w.end) for w in transcript.words]) if transcript else speech
    return speech, cues, dialogue_intervals(heard, cues), transcript


def _decode_pass(info: MediaInfo, cfg: DescribeConfig, dialogue: Sequence[Interval], device: str):
    """The one decode pass: shot cuts and scenes (the shot network on the torch ``device``), and the dialogue
    gaps' frames spooled for the slots."""
    detector = make_detector(cfg.shots, device=device)
    gaps = [g for g in complement(dialogue, 0.0, info.duration) if g.duration >= cfg.planner.min_gap]
    spool = FrameSpool()
    try:
        taps = [detector.tap(cfg.shot_fps), Tap(fps=cfg.shot_fps, max_side=cfg.max_side, keep=lambda t: _inside(gaps, t))]
        with progress_bar("Decoding: shot cuts, slot frames", total=round(info.duration, 1)) as bar:
            with FramePass(info.path, taps) as stream:
                for tap, frame in stream:
                    if tap == 0:
                        detector.push(frame)
                        bar.update(round(frame.t, 1))
                    else:
                        spool.add(frame)
        detector.finish()
    except BaseException:
        spool.close()
        raise
    shots = detector.shots(info.duration)
    scenes = group_scenes(shots, detector.shot_features())
    return detector.cuts(), shots, scenes, spool


def _decode(path: Path, picture: Interval, cfg: DescribeConfig) -> list[Frame]:
    """The frames of ``picture`` at ``cfg.shot_fps`` and ``cfg.max_side``, decoded on their own."""
    with sample_frames(path, cfg.shot_fps, max_side=cfg.max_side, start=picture.start, end=picture.end) as stream:
        return [f for f in stream if picture.start <= f.t <= picture.end]


def _plan_pauses(moments, pictures, characters, slots, dialogue, transcript, duration: float, cfg: DescribeConfig):
    """The extended slots of the essential ``moments`` (their ``pictures`` measured): index ->
    (:class:`~.extended.ExtendedSlot`, the picture's measurement)."""
    first = first_appearances([(c.id, s.t) for c in characters for s in c.sightings])
    kept, measured_of = [], {}
    for m, measured in zip(moments, pictures):
        texts = [str(f.value) for f in text_facts(measured[0])] if measured else []
        seen = [cid for cid, t in first.items() if m.picture.start <= t <= m.picture.end]
        m = essential(m, texts, seen)
        if m.reasons:
            kept.append(m)
            measured_of[m.t] = measured
    words = [Interval(w.start, w.end) for w in transcript.words] if transcript else []
    planned = plan_pauses(kept, slots, dialogue, words, duration, cfg.planner.words_per_second,
                          labels={c.id: c.label for c in characters})
    return {e.slot.index: (e, measured_of[e.picture.start]) for e in planned}


def _inside(spans: Sequence[Interval], t: float) -> bool:
    """Whether ``t`` lies in one of the sorted, disjoint ``spans`` (ends included)."""
    i = bisect.bisect_right([s.start for s in spans], t) - 1
    return i >= 0 and t <= spans[i].end


def _scene_at(scenes: Sequence[Scene], t: float) -> int | None:
    for scene in scenes:
        if scene.start <= t < scene.end:
            return scene.index
    return scenes[-1].index if scenes else None


def describe_video(
    video: str | Path,
    *,
    subtitles: str | Path | None = None,
    cfg: DescribeConfig = DescribeConfig(),
    analysers: Sequence[Analyser] | None = None,
    journal: SlotJournal | None = None,
    store: FeatureStore | None = None,
    text_models: TextModels | None = None,
) -> ADScript:
    """Describe ``video``; see the module docstring.

    ``analysers`` replaces the default perception models (which are loaded only if a slot
    needs them); with a ``journal``, slots it holds are reused and new ones recorded.
    Per-frame perception results are cached in ``store`` (by default, when the default
    models are used, the default feature store), so a second run does no model work.
    ``text_models`` gives language models already loaded for ``cfg`` (a batch worker's).
    """
    cfg.validate()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    info = probe(video)
    cast = None
    if cfg.cast:
        from .cast import load_cast

        given = [a for a in analysers or [] if getattr(a, "name", "") == "human"]
        cast = load_cast(cfg.cast, analyser=given[0] if given else None)
    warnings = list(info.warnings)  # probe has logged them
    lap("probe")
    speech, cues, dialogue, transcript = _dialogue(info, Path(subtitles) if subtitles else None, cfg, warnings)
    if not info.has_audio:
        log.warning(warnings[-1])
    lap("dialogue")
    device = resolve_device(cfg.device)
    cuts, shots, scenes, spool = _decode_pass(info, cfg, dialogue, device)
    lap("shots")
    slots = plan_slots(info.duration, dialogue, cuts, cfg.planner)
    moments = uncovered_openings([Interval(s.start, s.end) for s in shots], scenes, slots,
                                 info.duration) if cfg.extended else []
    log.info(f"{len(dialogue)} dialogue intervals, {len(shots)} shots, {len(scenes)} scenes, {len(slots)} AD slots")

    done = journal.load() if journal else {}
    if done:
        log.info(f"resuming: {len(done)} of {len(slots)} slots were already described")
    own = analysers is None
    pending = [s for s in slots if s.index not in done]
    models: list[Analyser] = []
    polisher = writer = None
    models = lazy_default_analysers(objects=cfg.objects, faces=cfg.faces, poses=cfg.poses, ocr=cfg.ocr,
                                    hands=cfg.poses, setting=cfg.setting, device=device,
                                    runtime=cfg.runtime_for(device)) if own else list(analysers)
    if pending or moments:
        text_models = text_models or TextModels(cfg)
        polisher, writer = text_models.polisher(), text_models.writer()
    lap("load_models")
    store = FeatureStore() if store is None and own else store
    caches = analysis_caches(store, fingerprint(info.path), models, cfg.max_side) if store is not None else {}
    pixels = PixelAnalyser()
    model_ids = {m.name: m.model_id for m in models} if pending or moments else (dict(journal.models) if journal else {})
    if polisher is not None:
        model_ids["polish"] = f"{polisher.path.name} (constrained to the facts' words)"
    if writer is not None:
        from .learned import as_slot_facts, weights_hash

        model_ids["ad_model"] = (f"{cfg.model} ({weights_hash(cfg.model)}; language model "
                                 f"{writer.model.config.lm_path}; not constrained to the measured facts)")
    if journal:
        journal.models = model_ids
    tracker = NoveltyTracker(window=cfg.novelty_window)
    neighbours: list[np.ndarray] = []
    descriptions: list[AudioDescription] = []
    previous_scene: int | None = None
    # the journal holds the first slots; a resumed run measures again those of them that the
    # learned writer's next AD depends on, so that it sees the same context as an uninterrupted run
    recall_from = len(slots) - len(pending) - writer.memory if writer is not None else len(slots)

    def measure(position: int, slot):
        if slot.index in done:  # measured again (from the cache) only where characters or the AD model need it
            times = done[slot.index].get("keyframes") or []
            wanted = cfg.faces or position >= recall_from
            return (_measure_again(spool.frames(slot.start, slot.end), times, models, caches)
                    if times and wanted else [], [], times, None)
        measured = _measure_slot(spool.frames(slot.start, slot.end), slot, cfg, models, pixels, caches, neighbours)
        release_freed_memory()  # a long video's slots would otherwise fragment the allocator's arenas
        return measured

    characters = []
    pauses: dict[int, tuple] = {}  # index -> (ExtendedSlot, its picture's measurement)
    try:
        # an extended AD's picture lies under dialogue, outside the spooled gaps: decoded on its own
        pictures = []
        with progress_bar("Measuring shot openings under dialogue", total=len(moments)) as bar:
            for m in moments:
                pictures.append(_measure_slot(_decode(info.path, m.picture, cfg), m.picture, cfg, models, pixels,
                                              caches, []))
                bar.advance()
        measurements = (measure(position, slot) for position, slot in enumerate(slots))
        if cfg.faces:  # characters need every slot's faces before the first sentence is written
            measured_all = []
            with progress_bar("Measuring slots", total=len(slots)) as bar:
                for m in measurements:
                    measured_all.append(m)
                    bar.advance()
            measurements = iter(measured_all)
            characters = find_characters([fa for m in [*measured_all, *pictures] if m for fa in m[0]],
                                         [Interval(s.start, s.end) for s in shots], cast)
        if moments:
            pauses = _plan_pauses(moments, pictures, characters, slots, dialogue, transcript, info.duration, cfg)
        slots = sorted(slots + [e.slot for e, _ in pauses.values()], key=lambda s: (s.start, s.index))
        refs = CharacterReferences(characters)
        position = -1  # among the regular slots
        with progress_bar("Describing slots", total=len(slots)) as bar:
            for slot in slots:
                pause, measured = pauses.get(slot.index, (None, None))
                if pause is None:
                    position += 1
                    measured = next(measurements)
                if slot.index in done:
                    description = AudioDescription.from_dict(done[slot.index], slot)
                    tracker.record(f.key for f in description.facts)
                    for cid in description.characters:
                        if cid in refs:
                            refs.mention(cid)
                    if writer is not None and measured and (pause or position >= recall_from) and description.keyframes:
                        writer.remember(measured[0], description.text, _scene_at(scenes, slot.start),
                                        as_slot_facts(description.considered, refs.genders()))
                else:
                    previous_text = next((d.text for d in reversed(descriptions) if d.text), "")
                    description = _describe_slot(pause.picture if pause else slot, measured, cuts, scenes,
                                                 previous_scene, tracker, polisher, writer, characters, refs,
                                                 cfg.setting, previous_text, transcript)
                    if pause:
                        description = mark_extended(description, pause)
                    if journal:
                        journal.append(description, done)
                descriptions.append(description)
                previous_scene = _scene_at(scenes, slot.start)
                bar.advance()
    finally:
        spool.close()
        if journal:
            journal.close()
        if own:
            for m in models:
                m.close()
    lap("slots")
    script = ADScript(
        video={
            "path": str(info.path),
            "fingerprint": fingerprint(info.path),
            "duration": round(info.duration, 3),
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "has_audio": info.has_audio,
        },
        descriptions=descriptions,
        dialogue=dialogue,
        speech=speech,
        subtitles=len(cues),
        shots=[Interval(s.start, s.end) for s in shots],
        scenes=[Interval(s.start, s.end) for s in scenes],
        models={
            **model_ids,
            pixels.name: pixels.model_id,
            "vad": f"{cfg.vad}" + (f" (silero-vad {_package_version('silero-vad')})" if cfg.vad == "silero" else ""),
            "shots": cfg.shots,
            **({"asr": f"whisper {cfg.asr} (faster-whisper {_package_version('faster-whisper')}, int8)"}
               if transcript is not None else {}),
            **({"speakers": f"GE2E voice encoder (resemblyzer {_package_version('resemblyzer')} weights), "
                            "lines clustered with a per-video cut"} if cfg.speakers and transcript is not None else {}),
        },
        config=asdict(cfg),
        warnings=warnings,
        timings=timings,
        software={"cinescribe": __version__, "python": platform.python_version(), "av": _package_version("av"),
                  "torch": _package_version("torch"), "torch_device": device,
                  "perception_runtime": cfg.runtime_for(device)},
        characters=[c.to_dict() for c in characters],
        transcript=transcript,
        heard_names=heard_names(transcript) if transcript is not None else [],
    )
    record_style(script)
    return script


def record_style(script: ADScript, speech_time: SpeechTime | None = None) -> None:
    """Set every description's ``style`` to the style checker's findings on ``script``."""
    findings = check_document(script.to_dict(), speech_time)
    for d, found in zip(script.descriptions, findings):
        d.style = [f.to_dict() for f in found]


class TextModels:
    """The language models a :class:`DescribeConfig` writes with -- the polisher (``polish``) and
    the AD model (``model``) -- each loaded when first needed and then kept, so that a batch
    worker loads them once for all its videos."""

    def __init__(self, cfg: DescribeConfig) -> None:
        self.cfg = cfg
        self._polisher = None
        self._writer = None

    def polisher(self):
        """The polisher, or None without ``cfg.polish`` ("gemma3-270m" = packaged, else a folder)."""
        if self.cfg.polish and self._polisher is None:
            from .polish import Polisher

            with progress_bar("Loading the polishing language model", total=None):
                self._polisher = Polisher.from_package() if self.cfg.polish == POLISH_PACKAGED else Polisher(self.cfg.polish)
        return self._polisher

    def writer(self):
        """A learned writer with an empty context (one per video), or None without ``cfg.model``."""
        if not self.cfg.model:
            return None
        if self._writer is None:
            from .learned import LearnedWriter

            with progress_bar("Loading the AD model", total=None):
                self._writer = LearnedWriter.load(self.cfg.model, self.cfg.model_lm)
        return self._writer.fresh()


def choose_keyframes(frames: Sequence[Frame], cfg: DescribeConfig, neighbours: list[np.ndarray]) -> list[Frame]:
    """The ``cfg.keyframes`` frames of a slot the perception models see, by ``cfg.keyframe_selector``
    over pixel embeddings; ``neighbours`` holds the previous slot's embeddings and is replaced by
    this slot's (DynFocus: prefer frames distinct from the neighbouring slot)."""
    x = PixelEncoder().encode_images([f.image for f in frames])
    chosen = select_keyframes(cfg.keyframe_selector, x, cfg.keyframes, times=[f.t for f in frames],
                              neighbours=neighbours[0] if neighbours else None)
    neighbours[:] = [x]
    return [frames[i] for i in chosen.indices]


def tracking_frames(frames: Sequence[Frame], keyframes: Sequence[Frame], cfg: DescribeConfig) -> list[Frame]:
    """The frames of a slot the people, object and hand trackers see: about ``cfg.track_fps`` a
    second, at most ``cfg.track_frames`` spread evenly over the slot, and the key frames (whose
    measurements the facts share)."""
    want = min(cfg.track_frames, max(2, math.ceil(len(frames) * cfg.track_fps / cfg.shot_fps)))
    picked = {round(i * (len(frames) - 1) / max(1, want - 1)) for i in range(want)} if len(frames) > 1 else {0}
    times = {f.t for f in keyframes}
    return [f for i, f in enumerate(frames) if i in picked or f.t in times]


def _measure_again(frames: Sequence[Frame], times, models, caches) -> list[FrameAnalysis]:
    """The key frames (at ``times``) of a slot described before, measured again (or read from the cache)."""
    frames = [f for f in frames if round(f.t, 3) in times]
    return analyse_cached([f.image for f in frames], [f.t for f in frames], models, caches or {})


def _measure_slot(frames: Sequence[Frame], slot, cfg, models, pixels, caches, neighbours):
    """A slot's measured key frames, its dense pixel statistics, the key frames' times and (when a
    tracking analyser runs) its tracking frames' measurements with the frame's aspect, from its
    frames (at ``cfg.shot_fps`` and ``cfg.max_side``, from the decode pass); None when it has none."""
    if not frames:
        return None
    dense = [FrameAnalysis(t=f.t) for f in frames]
    pixels.analyse([f.image for f in frames], dense)
    keyframes = choose_keyframes(frames, cfg, neighbours)
    followed = tracking_frames(frames, keyframes, cfg)
    trackers = [m for m in models if m.name in TRACKING_ANALYSERS]
    seen = analyse_cached([f.image for f in followed], [f.t for f in followed], trackers, caches or {})
    measured = analyse_cached([f.image for f in keyframes], [f.t for f in keyframes], models, caches or {})
    height, width = frames[0].image.shape[:2]
    return measured, dense, [round(f.t, 3) for f in keyframes], (seen, width / height) if trackers else None


def _describe_slot(slot, measurement, cuts, scenes, previous_scene, tracker, polisher, writer,
                   characters, refs, setting: bool = True, previous_text: str = "",
                   transcript=None) -> AudioDescription:
    if measurement is None:
        tracker.record(())
        return AudioDescription(slot, "", [], [], [], "no decodable frames in this slot")
    measured, dense, times, followed = measurement
    scene = _scene_at(scenes, slot.start)
    new_scene = scene if previous_scene is not None and scene != previous_scene else None
    inner_cuts = [c for c in cuts if slot.start < c < slot.end]
    tracks = track_shots(followed[0], inner_cuts, aspect=followed[1]) if followed is not None else None
    sampled = followed[0] if followed is not None else ()
    facts = down_weight_heard(tracker.weigh([*slot_facts(measured, dense, inner_cuts, new_scene, tracks, setting=setting,
                                                         sampled=sampled),
                                             *character_facts(characters, times, refs)]),
                              line_before(transcript, slot.start))
    if writer is not None:
        from .learned import as_slot_facts

        text = writer.write(measured, slot.word_budget, scene, as_slot_facts(facts, refs.genders()))
        tracker.record(())
        return AudioDescription(slot, text, [], facts, times, LEARNED_REASON if text else "the AD model wrote nothing")
    written = write(facts, slot.word_budget, is_known=tracker.seen, previous=previous_text, refs=refs)
    alternatives = [{"text": w.text, "facts": [f.key for f in w.facts]} for w in written.alternatives]
    if polisher is not None:
        written = polisher.polish(written, slot.word_budget)
    tracker.record(f.key for f in written.facts)
    ids = [str(f.value) for f in written.facts if f.kind == "character"]
    mentions = [{"character": cid, "phrase": refs.phrase(cid)} for cid in ids]
    for cid in ids:
        refs.mention(cid)
    chosen = [{"text": written.text, "facts": [f.key for f in written.facts]}] if written.text else []
    return AudioDescription(slot, written.text, list(written.facts), facts, times, written.reason, written.polish,
                            ids, mentions, candidates=chosen + alternatives)
