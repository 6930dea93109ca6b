"""BLEU-1..4, ROUGE-L and CIDEr-D over whole corpora at once, equal to pycocoevalcap's numbers.

Inputs are PTB-tokenised sentences (:mod:`cinescribe.evaluate.ptb`): ``hyps[i]`` is the generated
AD of item ``i`` and ``refs[i]`` its list of one or more references.  All sentences become rows of
integer token ids, ordered item by item (the hypothesis, then its references).  Each n-gram
occurrence gets an exact integer code (base-V digits of its tokens, re-numbered densely whenever
the next digit could overflow 62 bits).  One stable sort of the codes per order groups the
occurrences by (n-gram, item, row); counts, clipping, document frequencies, TF-IDF norms and the
clipped cosine products are then segment sums over that order.  The formulas, with
pycocoevalcap's small quirks, are those of the reference code:

- BLEU (Papineni et al. 2002; pycocoevalcap ``bleu_scorer``): clipped n-gram precisions against the
  maximum count over an item's references, ``closest`` reference length (ties: the shorter), corpus
  score from summed counts with ``tiny = 1e-15`` and ``small = 1e-9`` guards, brevity penalty
  ``exp(1 - r/c)`` when ``c < r``; sentence scores with the same guards.
- ROUGE-L (Lin 2004; pycocoevalcap ``rouge``): ``F = (1 + b^2) P R / (R + b^2 P)`` with ``b = 1.2``,
  where ``P`` and ``R`` are the maxima over references of ``LCS/len(hyp)`` and ``LCS/len(ref)``;
  tokens are ``sentence.split(" ")`` (so an empty sentence is one empty token, as in the reference).
- CIDEr-D (Vedantam et al. 2015, eq. 2-4 with the CIDEr-D changes; pycocoevalcap ``cider_scorer``):
  TF-IDF n-gram vectors, ``idf = log(items) - log(max(1, df))`` with ``df`` the number of items whose
  references contain the n-gram; per n, ``sum min(h, r) * r / (|h| |r|)`` (clipped), times the
  Gaussian length penalty ``exp(-d^2 / (2 sigma^2))`` with ``sigma = 6`` and ``d`` the difference in
  *bigram* counts (what the reference code counts as length); mean over n = 1..4, mean over the
  references, times 10.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

TINY, SMALL = 1e-15, 1e-9
ROUGE_BETA = 1.2
_CODE_LIMIT = 1 << 62


def _clean(rows: list[str]) -> bool:
    """True when ``s.split(" ")`` and ``s.split()`` agree on every non-empty row (single spaces only)."""
    return not any("  " in s or s[:1] == " " or s[-1:] == " " for s in rows)


def _split_rows(rows: list[str]) -> tuple[list[str], np.ndarray, bool]:
    """All tokens of all rows (``split()``), flattened, the number of tokens per row, and :func:`_clean`.
    Rows without empty ones or line breaks (PTB output) are split as one text."""
    text = "\n".join(rows)
    if "" not in rows and text.count("\n") == len(rows) - 1:
        if not ("  " in text or " \n" in text or "\n " in text or text[:1] == " " or text[-1:] == " "):
            lengths = np.fromiter(map(str.count, rows, itertools.repeat(" ")), dtype=np.int64, count=len(rows)) + 1
            return text.replace("\n", " ").split(" "), lengths, True
    if _clean(rows):
        lengths = np.fromiter((s.count(" ") + 1 if s else 0 for s in rows), dtype=np.int64, count=len(rows))
        return (" ".join(s for s in rows if s).split(" ") if lengths.any() else []), lengths, True
    return (*_token_rows(rows, split_on_space=False), False)


def _token_rows(rows: list[str], split_on_space: bool) -> tuple[list[str], np.ndarray]:
    """All tokens of all rows, flattened, and the number of tokens per row."""
    toks = [s.split(" ") if split_on_space else s.split() for s in rows]
    return [t for r in toks for t in r], np.fromiter(map(len, toks), dtype=np.int64, count=len(rows))


@dataclass
class Corpus:
    """Hypotheses and references as token-id rows, item by item: hyp_0, refs_0..., hyp_1, refs_1...

    Build once with :meth:`build` and pass to :func:`bleu_stats`, :func:`cider_d` and :func:`rouge_l`.
    """

    hyps: list[str]
    refs: list[list[str]]
    tokens: np.ndarray = field(repr=False)    # (total_tokens,) token ids, rows concatenated
    starts: np.ndarray = field(repr=False)    # (rows,) offset of each row in ``tokens``
    lengths: np.ndarray = field(repr=False)   # (rows,) tokens per row (``split()``)
    row_item: np.ndarray = field(repr=False)  # (rows,) item of each row
    is_hyp: np.ndarray = field(repr=False)    # (rows,) True for hypothesis rows
    vocab_size: int = 0
    clean: bool = True  # every row has single spaces only: ``split(" ")`` is ``split()`` (empty rows aside)
    _ngrams: list = field(default_factory=list, repr=False)

    @property
    def n_items(self) -> int:
        return len(self.hyps)

    @classmethod
    def build(cls, hyps: list[str], refs: list[list[str]]) -> "Corpus":
        if len(hyps) != len(refs):
            raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} reference lists")
        if any(len(r) == 0 for r in refs):
            raise ValueError("every item needs at least one reference")
        rows = [s for h, r in zip(hyps, refs) for s in (h, *r)]
        per_item = np.fromiter((1 + len(r) for r in refs), dtype=np.int64, count=len(refs))
        row_item = np.repeat(np.arange(len(refs)), per_item)
        is_hyp = np.zeros(len(rows), dtype=bool)
        is_hyp[np.concatenate([[0], np.cumsum(per_item)[:-1]]).astype(np.int64)] = True
        flat, lengths, clean = _split_rows(rows)
        vocab = dict(zip(dict.fromkeys(flat), range(len(flat))))
        tokens = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return cls(list(hyps), [list(r) for r in refs], tokens, starts, lengths, row_item, is_hyp, len(vocab), clean)

    def ngrams(self, max_n: int) -> list["_Order"]:
        """Occurrences of each order n = 1..max_n grouped by (n-gram, item, row); computed once."""
        while len(self._ngrams) < max_n:
            self._ngrams.append(self._order(len(self._ngrams) + 1))
        return self._ngrams[:max_n]

    def _order(self, n: int) -> "_Order":
        row_of = np.repeat(np.arange(len(self.lengths)), self.lengths)
        ends = np.repeat(self.starts + self.lengths, self.lengths)
        pos = np.flatnonzero(np.arange(len(self.tokens)) + n - 1 < ends)
        base = self.vocab_size + 1
        code = self.tokens[pos].copy()
        for k in range(1, n):
            if len(code) and int(code.max()) >= (_CODE_LIMIT - base) // base:
                code = np.unique(code, return_inverse=True)[1].astype(np.int64)
            code = code * base + self.tokens[pos + k]
        row = row_of[pos]
        rows = len(self.lengths)
        if len(code) and int(code.max()) >= (_CODE_LIMIT - rows) // max(rows, 1):
            code = np.unique(code, return_inverse=True)[1].astype(np.int64)
        # one key per (n-gram, row), rows in item order: sorted keys order by (n-gram, item, row)
        key = np.sort(code * rows + row)
        new_entry = np.ones(len(key), dtype=bool)
        new_entry[1:] = key[1:] != key[:-1]
        first = np.flatnonzero(new_entry)
        count = np.diff(np.append(first, len(key)))
        e_code, e_row = np.divmod(key[first], rows)
        new_gram = np.ones(len(first), dtype=bool)
        new_gram[1:] = e_code[1:] != e_code[:-1]
        gram = np.cumsum(new_gram) - 1
        e_item = self.row_item[e_row]
        new_cell = new_gram.copy()
        new_cell[1:] |= e_item[1:] != e_item[:-1]
        return _Order(e_row, e_item, gram, count, np.flatnonzero(new_cell), int(gram[-1]) + 1 if len(gram) else 0)


@dataclass
class _Order:
    """n-gram entries (one per distinct n-gram of a row), sorted by (n-gram, item, row)."""

    row: np.ndarray         # (entries,) row of the entry
    item: np.ndarray        # (entries,) item of the row
    gram: np.ndarray        # (entries,) dense n-gram id
    count: np.ndarray       # (entries,) occurrences in the row
    cell_start: np.ndarray  # (cells,) first entry of each (n-gram, item) cell
    n_grams: int


@dataclass
class BleuStats:
    """Per-item BLEU counts; corpus and sentence scores follow pycocoevalcap's ``compute_score``."""

    testlen: np.ndarray  # (items,) hypothesis lengths
    reflen: np.ndarray   # (items,) "closest" reference lengths
    correct: np.ndarray  # (items, n) clipped n-gram matches
    guess: np.ndarray    # (items, n) hypothesis n-grams

    def corpus(self, items: np.ndarray | None = None) -> list[float]:
        """Corpus BLEU-1..n over ``items`` (all by default)."""
        sel = slice(None) if items is None else items
        testlen, reflen = int(self.testlen[sel].sum()), int(self.reflen[sel].sum())
        correct, guess = self.correct[sel].sum(axis=0), self.guess[sel].sum(axis=0)
        bleus, bleu = [], 1.0
        for k in range(correct.shape[0]):
            bleu *= float(int(correct[k]) + TINY) / (int(guess[k]) + SMALL)
            bleus.append(bleu ** (1.0 / (k + 1)))
        ratio = (testlen + TINY) / (reflen + SMALL)
        if ratio < 1:
            bleus = [b * np.exp(1 - 1 / ratio) for b in bleus]
        return [float(b) for b in bleus]

    def sentences(self) -> np.ndarray:
        """(items, n) sentence-level BLEU-1..n."""
        n = self.correct.shape[1]
        prec = np.cumprod((self.correct + TINY) / (self.guess + SMALL), axis=1)
        scores = prec ** (1.0 / np.arange(1, n + 1))
        ratio = (self.testlen + TINY) / (self.reflen + SMALL)
        penalty = np.where(ratio < 1, np.exp(1 - 1 / np.where(ratio < 1, ratio, 1.0)), 1.0)
        return scores * penalty[:, None]


def bleu_stats(corpus: Corpus, n: int = 4) -> BleuStats:
    """BLEU counts of each item (see :class:`BleuStats` for the scores)."""
    c, items = corpus, corpus.n_items
    testlen = c.lengths[c.is_hyp]
    ref_len, ref_item = c.lengths[~c.is_hyp], c.row_item[~c.is_hyp]
    # closest reference length, ties to the shorter: minimise (|l - testlen|, l)
    code = np.abs(ref_len - testlen[ref_item]) * (1 << 32) + ref_len
    ref_first = np.flatnonzero(np.r_[True, ref_item[1:] != ref_item[:-1]])
    reflen = np.minimum.reduceat(code, ref_first) % (1 << 32)
    correct = np.zeros((items, n), dtype=np.int64)
    for k, o in enumerate(c.ngrams(n)):
        if len(o.row) == 0:
            continue
        hyp = c.is_hyp[o.row]
        hyp_count = np.add.reduceat(np.where(hyp, o.count, 0), o.cell_start)
        max_ref = np.maximum.reduceat(np.where(hyp, 0, o.count), o.cell_start)
        correct[:, k] = np.bincount(o.item[o.cell_start], weights=np.minimum(hyp_count, max_ref), minlength=items)
    guess = np.maximum(0, testlen[:, None] - np.arange(n)[None, :])
    return BleuStats(testlen, reflen, correct, guess)


def cider_d(corpus: Corpus, n: int = 4, sigma: float = 6.0) -> np.ndarray:
    """(items,) CIDEr-D scores (x10 as in the reference); the corpus score is their mean."""
    c, items, rows = corpus, corpus.n_items, len(corpus.lengths)
    log_items = np.log(float(items))
    length = np.maximum(c.lengths - 1, 0).astype(np.float64)  # the reference's "length": bigram count
    hyp_row = np.flatnonzero(c.is_hyp)
    total = np.zeros(rows)
    for o in c.ngrams(n):
        hyp = c.is_hyp[o.row]
        if len(o.row) == 0:
            continue
        cell_of = np.repeat(np.arange(len(o.cell_start)), np.diff(np.append(o.cell_start, len(o.row))))
        has_ref = np.maximum.reduceat((~hyp).astype(np.int64), o.cell_start)
        df = np.bincount(o.gram[o.cell_start], weights=has_ref, minlength=o.n_grams)
        weight = o.count * (log_items - np.log(np.maximum(1.0, df[o.gram])))
        norm = np.sqrt(np.bincount(o.row, weights=weight ** 2, minlength=rows))
        h_w = np.add.reduceat(np.where(hyp, weight, 0.0), o.cell_start)[cell_of]
        val = np.bincount(o.row, weights=np.where(hyp, 0.0, np.minimum(h_w, weight) * weight), minlength=rows)
        nh = norm[hyp_row[c.row_item]]
        ok = (nh != 0) & (norm != 0)
        total += np.where(ok, val / np.where(ok, nh * norm, 1.0), val) * \
            np.e ** (-((length[hyp_row[c.row_item]] - length) ** 2) / (2 * sigma ** 2))
    ref_total = np.where(c.is_hyp, 0.0, total)
    n_refs = np.bincount(c.row_item, minlength=items) - 1
    return np.bincount(c.row_item, weights=ref_total, minlength=items) / n / n_refs * 10.0


def _padded(tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray, fill: int, empty: int) -> np.ndarray:
    """(rows, max(1, max_len)) matrix of the rows' tokens padded with ``fill``; an empty row is ``[empty]``."""
    width = max(int(lengths.max()) if len(lengths) else 0, 1)
    col = np.arange(width)
    idx = np.minimum(starts[:, None] + col[None, :], max(len(tokens) - 1, 0))
    vals = tokens[idx] if len(tokens) else np.zeros((len(starts), width), dtype=np.int64)
    vals = np.where(col[None, :] < lengths[:, None], vals, fill)
    vals[lengths == 0, 0] = empty
    return vals


def _lcs(tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray, a: np.ndarray, b: np.ndarray,
         empty: int, chunk: int = 1024) -> np.ndarray:
    """Length of the longest common subsequence of rows ``a[p]`` and ``b[p]`` for every pair ``p``.

    An empty row is the one-token row ``[empty]`` (``"".split(" ") == [""]`` in the reference).
    A DP vectorised over pairs: the row update ``cur[j] = max(prev[j], prev[j-1] + [a_i == b_j],
    cur[j-1])`` is an elementwise max followed by a running max along ``j``.  Pairs are sorted by
    length and padded per chunk (padding never matches).
    """
    out = np.zeros(len(a), dtype=np.int64)
    order = np.lexsort((lengths[b], lengths[a]))
    for lo in range(0, len(a), chunk):
        idx = order[lo:lo + chunk]
        A = _padded(tokens, starts[a[idx]], lengths[a[idx]], -1, empty)
        B = _padded(tokens, starts[b[idx]], lengths[b[idx]], -2, empty)
        prev = np.zeros((len(idx), B.shape[1] + 1), dtype=np.int16)
        for i in range(A.shape[1]):
            cand = np.maximum(prev[:, 1:], prev[:, :-1] + (A[:, i:i + 1] == B))
            prev[:, 1:] = np.maximum.accumulate(cand, axis=1)
        out[idx] = prev[:, -1]
    return out


def rouge_l(corpus: Corpus, beta: float = ROUGE_BETA) -> np.ndarray:
    """(items,) ROUGE-L F-scores; the corpus score is their mean."""
    c = corpus
    if c.clean:
        tokens, lengths, empty = c.tokens, c.lengths, c.vocab_size
    else:
        rows = [s for h, r in zip(c.hyps, c.refs) for s in (h, *r)]
        flat, lengths = _token_rows(rows, split_on_space=True)
        vocab = dict(zip(dict.fromkeys(flat), range(len(flat))))
        tokens = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
        empty = len(vocab)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    ref_rows = np.flatnonzero(~c.is_hyp)
    hyp_rows = np.flatnonzero(c.is_hyp)[c.row_item[ref_rows]]
    lcs = _lcs(tokens, starts, lengths, ref_rows, hyp_rows, empty).astype(np.float64)
    prec = lcs / np.maximum(lengths[hyp_rows], 1)
    rec = lcs / np.maximum(lengths[ref_rows], 1)
    first = np.flatnonzero(np.r_[True, c.row_item[ref_rows][1:] != c.row_item[ref_rows][:-1]])
    p, r = np.maximum.reduceat(prec, first), np.maximum.reduceat(rec, first)
    ok = (p != 0) & (r != 0)
    return np.where(ok, ((1 + beta ** 2) * p * r) / np.where(ok, r + beta ** 2 * p, 1.0), 0.0)
