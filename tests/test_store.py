"""The feature store: extraction, reuse, resume, invalidation, corruption, MAD arrays, cached analyses."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from cinescribe.errors import InputError
from cinescribe.features.analysers.base import Detection, Face, FrameAnalysis, Hand, PixelStats, Pose, TextLine
from cinescribe.features.analysis_cache import AnalysisCache, LazyAnalyser, analyse_cached, decode_fields, encode_fields
from cinescribe.features.encoders.pixels import PixelEncoder
from cinescribe.features.mad import list_movies, open_mad
from cinescribe.features.store import FeatureStore, default_cache_dir, frames_at


class Counting(PixelEncoder):
    """The pixel encoder, counting frames; optionally failing after ``fail_after`` frames."""

    batch_size = 4

    def __init__(self, fail_after: int | None = None, weights_hash: str | None = None) -> None:
        self.frames = 0
        self.fail_after = fail_after
        if weights_hash:
            self.weights_hash = weights_hash

    def encode_images(self, frames):
        if self.fail_after is not None and self.frames + len(frames) > self.fail_after:
            raise KeyboardInterrupt
        self.frames += len(frames)
        return super().encode_images(frames)


@pytest.fixture(scope="module")
def video(tmp_media):
    return tmp_media("store.mp4", shots=[("astronaut", 2.0), ("coffee", 2.0), ("chelsea", 2.0)], audio=False)


@pytest.fixture
def warnings_log(caplog):
    logger = logging.getLogger("cinescribe.features")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)


def _store(tmp_path):
    return FeatureStore(tmp_path / "cache", shard_frames=5)


def test_extract_writes_manifest_and_shards_and_second_run_is_free(video, tmp_path):
    store = _store(tmp_path)
    enc = Counting()
    entry = store.extract(video.path, enc, fps=4, max_side=128)
    feats = entry.features()
    assert feats.shape == (24, 168) and enc.frames == 24
    m = json.loads((entry.folder / "manifest.json").read_text())
    assert m["complete"] and m["shape"] == [24, 168] and m["dtype"] == "float32"
    assert m["encoder"]["id"] == "pixels" and m["encoder"]["weights_hash"].startswith("sha256:")
    assert m["sampling"] == {"fps": 4.0, "max_side": 128} and m["video"]["fingerprint"].startswith("sha256:")
    assert len(m["shards"]) == 5 and [s["frames"] for s in m["shards"]] == [5, 5, 5, 5, 4]
    assert np.allclose(m["times"], np.arange(24) / 4, atol=0.021)  # 25 fps video: nearest frame within 20 ms
    assert sorted(p.name for p in entry.folder.iterdir()) == ["manifest.json"] + [f"shard-0000{i}.safetensors" for i in range(5)]

    again = Counting()
    hit = store.extract(video.path, again, fps=4, max_side=128)
    assert again.frames == 0 and np.array_equal(hit.features(), feats)
    assert store.lookup(video.path, again, fps=4, max_side=128) is not None
    assert store.lookup(video.path, again, fps=2, max_side=128) is None
    t, w = hit.window(1.1, 3.0)
    assert np.array_equal(t, entry.times[(entry.times >= 1.1) & (entry.times <= 3.0)]) and len(t) == 8
    assert np.array_equal(w, feats[5:13])
    assert np.array_equal(frames_at(hit, [0.0, 5.9]), feats[[0, 23]])
    assert [e.folder for e in store.entries()] == [entry.folder]


def test_interrupted_extraction_resumes_after_last_complete_shard(video, tmp_path):
    reference = _store(tmp_path / "ref").extract(video.path, PixelEncoder(), fps=4, max_side=128)
    store = _store(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        store.extract(video.path, Counting(fail_after=12), fps=4, max_side=128)
    folder = store.entry_dir(reference.manifest["video"]["fingerprint"], "pixels", 4.0, 128)
    m = json.loads((folder / "manifest.json").read_text())
    assert not m["complete"] and len(m["shards"]) == 2  # 10 frames committed, 4 more were in flight
    resumed = Counting()
    entry = store.extract(video.path, resumed, fps=4, max_side=128)
    assert resumed.frames == 14
    assert np.array_equal(entry.times, reference.times)
    assert np.allclose(entry.features(), reference.features(), atol=1e-6)


def test_changed_encoder_or_video_invalidates(video, tmp_path, tmp_media):
    store = _store(tmp_path)
    store.extract(video.path, Counting(), fps=4, max_side=128)
    retrained = Counting(weights_hash="sha256:other")
    store.extract(video.path, retrained, fps=4, max_side=128)
    assert retrained.frames == 24
    changed = tmp_path / "store.mp4"
    shutil.copy(video.path, changed)
    store.extract(changed, Counting(), fps=4, max_side=128)  # same content, another path: reused
    other = tmp_media("store-changed.mp4", shots=[("astronaut", 2.0), ("rocket", 2.0), ("chelsea", 2.0)], audio=False)
    shutil.copy(other.path, changed)
    enc = Counting()
    store.extract(changed, enc, fps=4, max_side=128)
    assert enc.frames == 24


def test_corrupt_shard_is_detected_and_rebuilt_with_a_warning(video, tmp_path, warnings_log):
    store = _store(tmp_path)
    entry = store.extract(video.path, PixelEncoder(), fps=4, max_side=128)
    reference = entry.features()
    shard = entry.folder / "shard-00001.safetensors"
    shard.write_bytes(shard.read_bytes()[:-7] + b"garbage")
    enc = Counting()
    rebuilt = store.extract(video.path, enc, fps=4, max_side=128)
    assert enc.frames == 19  # shards 1.. again
    assert np.allclose(rebuilt.features(), reference, atol=1e-6)
    assert any("corrupt" in r.getMessage() and "checksum" in r.getMessage() for r in warnings_log.records)

    (entry.folder / "manifest.json").write_text("{not json")
    enc = Counting()
    store.extract(video.path, enc, fps=4, max_side=128)
    assert enc.frames == 24
    assert any("unreadable manifest" in r.getMessage() for r in warnings_log.records)


def test_bad_inputs_are_one_line_errors(video, tmp_path):
    store = _store(tmp_path)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all")
    with pytest.raises(InputError, match="not a readable media file"):
        store.extract(text, PixelEncoder())
    with pytest.raises(InputError, match="--fps"):
        store.extract(video.path, PixelEncoder(), fps=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        FeatureStore(tmp_path / "file")


def test_default_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "features"
    monkeypatch.delenv("CINESCRIBE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "cinescribe" / "features"


# -- MAD -----------------------------------------------------------------------------------

def test_mad_h5_and_npy_features_read_through_the_same_api(tmp_path):
    import h5py

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 8)).astype(np.float32), rng.normal(size=(20, 8)).astype(np.float32)
    with h5py.File(tmp_path / "CLIP_frames_features_5fps.h5", "w") as h5:
        h5["tt0061722"] = a
        h5["tt0118715"] = b
    src = tmp_path / "CLIP_frames_features_5fps.h5"
    assert list_movies(src) == ["tt0061722", "tt0118715"]
    movie = open_mad(src, "tt0061722")
    assert movie.fps == 5.0 and movie.dim == 8 and np.array_equal(movie.features(), a)
    assert movie.times[:3].tolist() == [0.0, 0.2, 0.4]
    t, f = movie.window(1.0, 2.0)
    assert t.tolist() == pytest.approx([1.0, 1.2, 1.4, 1.6, 1.8, 2.0]) and np.array_equal(f, a[5:11])
    assert np.array_equal(frames_at(movie, [0.21, 9.8]), a[[1, 49]])
    folder = tmp_path / "npy"
    folder.mkdir()
    np.save(folder / "tt0118715.npy", b)
    assert np.array_equal(open_mad(folder, "tt0118715").features(), b)
    assert np.array_equal(open_mad(folder / "tt0118715.npy").features(), b)
    with pytest.raises(InputError, match="has no movie 'nope'"):
        open_mad(src, "nope")
    with pytest.raises(InputError, match="holds 2 movies"):
        open_mad(src)
    (tmp_path / "bad.h5").write_bytes(b"nothing")
    with pytest.raises(InputError, match="not a readable HDF5"):
        open_mad(tmp_path / "bad.h5")


# -- cached perception results ----------------------------------------------------------

class FakeDetector:
    name = "objects"
    model_id = "test/fake-everything@1"

    def __init__(self):
        self.frames = 0

    def analyse(self, images, out):
        for image, fa in zip(images, out):
            self.frames += 1
            fa.objects = [Detection("cat", 0.9, (0.1, 0.2, 0.5, 0.6))]
            fa.faces = [Face(0.8, (0.2, 0.2, 0.3, 0.3), "happy", 0.7)]
            fa.poses = [Pose(0.7, {"nose": (0.5, 0.2, 0.9)}, "standing", (0.4, 0.1, 0.6, 0.9)),
                        Pose(0.5, {"nose": (0.1, 0.2, 0.9)})]
            fa.hands = [Hand("fist", 0.45, (0.3, 0.05, 0.43, 0.18))]
            fa.text = [TextLine("EXIT", 0.95, (0.0, 0.0, 0.2, 0.1))]
            fa.pixels = PixelStats(float(image.mean() / 255), 0.3, "red", 0.01, (0.1, -0.2))

    def close(self):
        pass


def test_analysis_record_round_trip_is_exact():
    fa = FrameAnalysis(t=1.25)
    FakeDetector().analyse([np.zeros((4, 4, 3), np.uint8)], [fa])
    back = FrameAnalysis(t=1.25)
    decode_fields(json.loads(json.dumps(encode_fields(fa))), back)
    assert back == fa


def test_analyse_cached_does_no_model_work_the_second_time(tmp_path, warnings_log):
    store = FeatureStore(tmp_path)
    images = [np.full((8, 8, 3), v, np.uint8) for v in (10, 20, 30)]
    times = [0.5, 1.0, 1.5]
    det = FakeDetector()
    first = analyse_cached(images, times, [det], {"objects": AnalysisCache(store, "sha256:ab", det.model_id, 640)})
    assert det.frames == 3
    again = FakeDetector()
    cache = AnalysisCache(store, "sha256:ab", det.model_id, 640)
    second = analyse_cached(images + [images[0]], times + [2.0], [again], {"objects": cache})
    assert again.frames == 1 and second[:3] == first
    other_size = AnalysisCache(store, "sha256:ab", det.model_id, 320)
    assert other_size.get(0.5) is None

    with cache.path.open("a") as fh:
        fh.write('{"t": 3.0, "fields": {"objects": [{"lab')  # an interrupted write
    reread = AnalysisCache(store, "sha256:ab", det.model_id, 640)
    assert len(reread.records) == 4
    assert any("corrupt" in r.getMessage() for r in warnings_log.records)
    assert '"t": 3.0' not in reread.path.read_text()  # the file was rewritten from the intact lines


def test_lazy_analyser_loads_only_when_a_frame_is_missing(tmp_path):
    loads = []

    def factory():
        loads.append(1)
        return FakeDetector()

    store = FeatureStore(tmp_path)
    image = [np.zeros((8, 8, 3), np.uint8)]
    lazy = LazyAnalyser("objects", FakeDetector.model_id, factory)
    analyse_cached(image, [1.0], [lazy], {"objects": AnalysisCache(store, "sha256:cd", lazy.model_id, 64)})
    assert loads == [1] and lazy.loaded
    lazy.close()
    lazy2 = LazyAnalyser("objects", FakeDetector.model_id, factory)
    out = analyse_cached(image, [1.0], [lazy2], {"objects": AnalysisCache(store, "sha256:cd", lazy2.model_id, 64)})
    assert loads == [1] and not lazy2.loaded and out[0].objects[0].label == "cat"
    wrong = LazyAnalyser("objects", "test/other@2", factory)
    with pytest.raises(RuntimeError, match="expected test/other@2"):
        wrong.analyse(image, [FrameAnalysis(t=0.0)])


@pytest.mark.slow
def test_describe_reuses_cached_perception_results(speech_video, tmp_path):
    from cinescribe.describe.pipeline import DescribeConfig, describe_video

    cfg = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False)
    store = FeatureStore(tmp_path / "cache")
    first = FakeDetector()
    a = describe_video(speech_video.path, cfg=cfg, analysers=[first], store=store)
    assert first.frames == sum(len(d.keyframes) for d in a.descriptions) > 0
    second = FakeDetector()
    b = describe_video(speech_video.path, cfg=cfg, analysers=[second], store=store)
    assert second.frames == 0
    assert [d.to_dict() for d in b.descriptions] == [d.to_dict() for d in a.descriptions]


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "cinescribe", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_extract_command_writes_and_reuses_an_entry(video, tmp_path):
    first = _cli("extract", video.path, "--cache", tmp_path, "--fps", "2", "-q")
    assert first.returncode == 0, first.stderr
    manifests = list(tmp_path.glob("*/*/manifest.json"))
    assert len(manifests) == 1 and json.loads(manifests[0].read_text())["shape"] == [12, 168]
    before = manifests[0].stat().st_mtime_ns
    assert _cli("extract", video.path, "--cache", tmp_path, "--fps", "2", "-q").returncode == 0
    assert manifests[0].stat().st_mtime_ns == before  # reused, not rewritten


@pytest.mark.parametrize("args,needle", [
    (["--encoder", "clipzz"], "unknown encoder 'clipzz'"),
    (["--encoder", "hf_clip:/no/such/folder"], "no checkpoint at /no/such/folder"),
    (["--fps", "0"], "--fps must be"),
])
def test_extract_command_errors_are_one_line(video, tmp_path, args, needle):
    proc = _cli("extract", video.path, "--cache", tmp_path, *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr
    assert not list(tmp_path.glob("*/*/manifest.json"))


def test_unwritable_cache_warns_and_carries_on(tmp_path, warnings_log):
    (tmp_path / "file").write_text("x")
    store = FeatureStore(tmp_path / "file" / "cache")  # cannot be created: its parent is a file
    det = FakeDetector()
    cache = AnalysisCache(store, "sha256:ef", det.model_id, 640)
    out = analyse_cached([np.zeros((8, 8, 3), np.uint8)] * 2, [0.0, 1.0], [det], {"objects": cache})
    assert det.frames == 2 and out[0].objects[0].label == "cat"
    assert any("cannot write the feature cache" in r.getMessage() for r in warnings_log.records)


def test_analysis_cache_is_keyed_by_the_post_processing_revision(tmp_path, monkeypatch):
    from cinescribe.features import analysis_cache
    from cinescribe.features.store import FeatureStore

    store = FeatureStore(tmp_path)
    before = AnalysisCache(store, "f" * 32, "ocr-model", 640, "ocr").path
    assert AnalysisCache(store, "f" * 32, "ocr-model", 640, "ocr").path == before
    monkeypatch.setattr(analysis_cache, "ANALYSIS_REVISION", analysis_cache.ANALYSIS_REVISION + 1)
    assert AnalysisCache(store, "f" * 32, "ocr-model", 640, "ocr").path != before
