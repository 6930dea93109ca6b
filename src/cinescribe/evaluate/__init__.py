"""evaluate stage: the AD benchmark metrics and the ``cinescribe evaluate`` report.

- :mod:`.ptb`, :mod:`.captioning`, :mod:`.meteor`, :mod:`.spice`, :mod:`.metrics`: BLEU-1..4, METEOR,
  ROUGE-L, CIDEr-D (and SPICE where it can run offline) with pycocoevalcap's tokenisation and numbers.
- :mod:`.bertscore`, :mod:`.recall`: Recall@k/N within neighbours (AutoAD-II) on a local text encoder.
- :mod:`.distinct`: repetition between neighbouring ADs and distinct-n (DistinctAD's failure mode).
- :mod:`.coverage`: facts a describer would say that the ADs said, false claims and cut recall/precision
  against a clip's written-down truth (the real-footage quality benchmark).
- :mod:`.report`, :mod:`.plots` (drawn with :mod:`.svgchart`): overall and per-film results as a table, JSON and an SVG figure.
"""
