"""Videos that cut between photos of real people, with who is in every shot known.

No clip of real film with recurring people can be had offline, so the closest honest stand-in
is made from real photographs shipped inside installed packages: scikit-image's ``astronaut``
(Eileen Collins) and ``camera`` (a man with a camera), and matplotlib's ``grace_hopper``.  Each
shot shows one photo (or two side by side) framed differently from the other shots of the
same person: its own crop, zoom, mirror, brightness and a slow push-in, so that the same
person never gives the same pixels twice.  The video is silent, H.264, written with PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .atomic import atomic_path
from .errors import MissingDependencyError

PEOPLE = ("astronaut", "hopper", "cameraman")


def person_photo(name: str) -> np.ndarray:
    """The photo of one of :data:`PEOPLE` as RGB uint8 ``(h, w, 3)``."""
    if name == "hopper":
        try:
            import matplotlib.cbook
        except ImportError as exc:  # pragma: no cover - dependency check
            raise MissingDependencyError("matplotlib is not installed; pip install matplotlib") from exc
        from PIL import Image

        with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    from .demo import sample_photo

    return sample_photo({"cameraman": "camera"}.get(name, name))


@dataclass(frozen=True)
class Shot:
    """One shot: who is in it (left to right), how long it lasts and how it is framed."""

    people: tuple[str, ...]
    seconds: float = 2.0
    zoom: float = 1.0  # >1 crops tighter
    mirror: bool = False
    gain: float = 1.0  # brightness factor
    dx: float = 0.0  # horizontal offset of the crop centre, in frame widths


def _frame(photos: dict[str, np.ndarray], shot: Shot, progress: float, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    w, h = size
    panel_w = w // len(shot.people)
    out = np.zeros((h, w, 3), np.uint8)
    for k, name in enumerate(shot.people):
        img = photos[name]
        ih, iw = img.shape[:2]
        zoom = shot.zoom * (1.0 + 0.06 * progress)
        ch = min(ih, int(ih / zoom))
        cw = min(iw, int(ch * panel_w / h))
        cx = int(np.clip(iw / 2 + shot.dx * iw, cw / 2, iw - cw / 2))
        cy = int(np.clip(ih * 0.42, ch / 2, ih - ch / 2))
        crop = img[cy - ch // 2: cy - ch // 2 + ch, cx - cw // 2: cx - cw // 2 + cw]
        if shot.mirror:
            crop = crop[:, ::-1]
        panel = np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((panel_w, h), Image.BILINEAR), np.float32)
        out[:, k * panel_w:(k + 1) * panel_w] = np.clip(panel * shot.gain, 0, 255).astype(np.uint8)
    return out


def shot_plan(order: Sequence[str | tuple[str, ...]], seconds: float = 2.0) -> list[Shot]:
    """Shots for ``order`` (a name, or a tuple of names sharing a shot), each framed its own way."""
    rng = np.random.default_rng(7)
    shots = []
    for item in order:
        people = (item,) if isinstance(item, str) else tuple(item)
        shots.append(Shot(people, seconds, zoom=float(rng.uniform(1.0, 1.5)), mirror=bool(rng.integers(2)),
                          gain=float(rng.uniform(0.75, 1.15)), dx=float(rng.uniform(-0.06, 0.06))))
    return shots


def make_face_video(path: str | Path, shots: Sequence[Shot], size: tuple[int, int] = (640, 360),
                    fps: int = 12) -> list[tuple[float, float, tuple[str, ...]]]:
    """Write the silent video of ``shots`` to ``path``; returns ``(start, end, people)`` per shot."""
    import av

    photos = {name: person_photo(name) for shot in shots for name in shot.people}
    truth = []
    t = 0.0
    with atomic_path(Path(path)) as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            stream.options = {"crf": "23", "preset": "veryfast"}
            for shot in shots:
                n = max(1, round(shot.seconds * fps))
                for i in range(n):
                    frame = av.VideoFrame.from_ndarray(_frame(photos, shot, i / n, size), format="rgb24")
                    for packet in stream.encode(frame):
                        container.mux(packet)
                truth.append((round(t, 3), round(t + n / fps, 3), shot.people))
                t += n / fps
            for packet in stream.encode():
                container.mux(packet)
    return truth
