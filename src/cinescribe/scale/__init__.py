"""scale stage: the per-video pipeline over a film library (``cinescribe batch``).

* :mod:`.inputs`: the videos of a folder or list file, and each one's output folder.
* :mod:`.stages`: a video's job as named stages; the core stage is ``describe_to_folder``.
* :mod:`.markers`: done markers (content fingerprint + configuration hash) and per-video locks.
* :mod:`.worker`: :class:`~.worker.VideoWorker`, which keeps its models loaded across videos.
* :mod:`.backends`: Ray actors (local or a cluster) or a local process pool.
* :mod:`.batch`: :func:`~.batch.run_batch`: skips, retries, failures, progress.
* :mod:`.report`: ``batch-report.json`` and the summary table.
"""
