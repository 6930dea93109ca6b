"""features stage: frame embeddings, the feature store, scene context and key frames.

* :mod:`.encoders` -- ``encode_images(frames) -> (n, dim)`` (and ``encode_texts`` for
  CLIP-like models) behind a registry of backends loaded from local files;
* :mod:`.store` -- per-video features on disk (``cinescribe extract``), resumable and
  checked; :mod:`.mad` reads MAD's released arrays through the same API;
* :mod:`.analysis_cache` -- the perception models' per-frame results, cached for ``describe``;
* :mod:`.scenes` -- pooled scene-level context for any slot (DANTE-AD);
* :mod:`.keyframes` -- uniform, redundancy-based and event-prototype key-frame selection;
* :mod:`.analysers` -- the perception models themselves.
"""
