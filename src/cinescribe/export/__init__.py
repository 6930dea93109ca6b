"""export stage: what people read, hear and watch, made from an AD script.

``webvtt``/``srt``/``ttml`` write the script as text; ``voices`` and ``tts`` speak each AD
within its slot; ``mix`` ducks the programme and mixes the voice in; ``mux`` makes the
described video; ``pipeline`` runs them for ``cinescribe export``; ``review`` serves the
page (``web/``) where a describer hears, edits and re-exports the script.
"""
