"""Readers for audio-description annotation files: MAD, CMD-AD, TV-AD, cinescribe's own.

Every reader returns an :class:`ADSet`: one :class:`AD` per row (film id, start and end in
seconds, the AD text and, where a cast list is given, the characters it names), sorted by
film and time.  The same readers load ground truth and predictions, so both are keyed the
same way: ``(film, start, end)`` with times rounded to the millisecond.

Formats (``format=`` or detected from the columns / JSON shape):

- ``mad``: MAD-Eval / MAD-v2 CSV (``movie``, ``sentence``, ``start``, ``end``; ``movie_duration``
  checked when present) or the original MAD JSON (``{id: {movie, sentence, timestamps, movie_duration}}``).
- ``cmdad``: CMD-AD CSV (``text``, ``start``, ``end``, ``movie``; ``imdbid`` keys a cast list).
- ``tvad``: TV-AD CSV (``text``, ``start``, ``end``, ``imdbid_pe`` = the episode, the film unit).
- ``ad-script``: the ``describe`` output ``*.ad.json`` (schema ``cinescribe.ad-script/1``); the film
  id is the video's file stem; slots without text (nothing was spoken) are not ADs.
- ``table``: CSV, JSON (a list) or JSONL with ``film``, ``start``, ``end``, ``text`` and optionally
  ``characters`` (``;``-separated in CSV, a list in JSON): the format for predictions.

Files are read as UTF-8 (with or without BOM), else in the encoding detected, with a warning
naming it (:mod:`cinescribe.textfile`; the MAD-Eval CSV as distributed is Windows-1252).
Validation happens on load; each problem is one :class:`~cinescribe.errors.InputError` naming the
file and the row: a missing column, a time that is not a number, negative, or not after the start,
empty text, and two rows with the same key but different text.  Rows repeated exactly (same key,
same text; the published CMD-AD file has five) are kept once and counted in ``dropped_duplicates``.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError
from ..textfile import read_text

log = logging.getLogger("cinescribe.data")

AD_SCRIPT_SCHEMA = "cinescribe.ad-script/1"
FORMATS = ("mad", "cmdad", "tvad", "ad-script", "table")
# Columns each CSV format must have (the film column first).
REQUIRED = {
    "mad": ("movie", "sentence", "start", "end"),
    "cmdad": ("movie", "text", "start", "end"),
    "tvad": ("imdbid_pe", "text", "start", "end"),
    "table": ("film", "text", "start", "end"),
}
# Column holding the IMDb id that keys a cast list (charbank), per format.
CAST_KEY = {"mad": "imdb", "cmdad": "imdbid", "tvad": "imdbid_pe", "table": "film"}
# Words of a role that are titles, not names ("Captain Jean-Luc Picard" is named by "Jean-Luc" or "Picard").
_TITLES = {"captain", "commander", "lieutenant", "doctor", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
           "miss", "professor", "sir", "lady", "lord", "officer", "detective", "sergeant", "agent", "the", "young",
           "old", "uncle", "aunt", "father", "mother", "chief", "general", "colonel", "major", "ensign", "nurse"}


@dataclass(frozen=True)
class AD:
    """One audio description: ``text`` spoken from ``start`` to ``end`` seconds in ``film``."""

    film: str
    start: float
    end: float
    text: str
    characters: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, int, int]:
        """``(film, start_ms, end_ms)``: how predictions are matched to ground truth."""
        return (self.film, round(self.start * 1000), round(self.end * 1000))


@dataclass
class ADSet:
    """All ADs of one file, sorted by film then time."""

    ads: list[AD]
    source: str
    format: str
    dropped_duplicates: int = 0
    cast: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ads)

    def by_film(self) -> dict[str, list[AD]]:
        """Film id -> its ADs in time order (films in sorted order)."""
        films: dict[str, list[AD]] = {}
        for ad in self.ads:
            films.setdefault(ad.film, []).append(ad)
        return films


@dataclass
class _Row:
    where: str
    film: str
    start: Any
    end: Any
    text: Any
    cast_id: str = ""
    duration: Any = None
    characters: tuple[str, ...] | None = None


def read_annotations(path: str | Path, format: str = "auto", charbank: str | Path | None = None) -> ADSet:
    """Read an annotation or prediction file (or a folder of ``*.ad.json``) into an :class:`ADSet`.

    ``charbank``: optional cast list JSON, ``{imdb_id: [{"role": ..., "name": ...}, ...]}`` as published
    with TV-AD and CMD-AD; each AD then lists the roles its text names.
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise InputError(f"unknown annotation format {format!r}; choose from auto, {', '.join(FORMATS)}")
    if not path.exists():
        raise InputError(f"{path}: no such file; give an annotation CSV/JSON/JSONL file")
    if path.is_dir():
        files = sorted(path.glob("*.ad.json"))
        if not files:
            raise InputError(f"{path}: folder has no *.ad.json files; give a file or a folder of describe outputs")
        rows = [r for f in files for r in _ad_script_rows(f, _load_json(f))]
        return _build(rows, str(path), "ad-script", charbank)
    fmt, rows = _rows(path, format)
    return _build(list(rows), str(path), fmt, charbank)


def _rows(path: Path, format: str) -> tuple[str, Iterable[_Row]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        if format not in ("auto", "table"):
            raise InputError(f"{path}: a JSONL file can only hold the table format (film, start, end, text)")
        return "table", _jsonl_rows(path)
    if suffix == ".json":
        data = _load_json(path)
        if isinstance(data, dict) and data.get("schema") == AD_SCRIPT_SCHEMA and format in ("auto", "ad-script"):
            return "ad-script", _ad_script_rows(path, data)
        if isinstance(data, dict) and format in ("auto", "mad") and data:
            return "mad", _mad_json_rows(path, data)
        if isinstance(data, list) and format in ("auto", "table"):
            return "table", (_dict_row(path, f"entry {i}", d, "table") for i, d in enumerate(data, 1))
        raise InputError(f"{path}: JSON is not a cinescribe AD script, a MAD annotation dict or a list of "
                         "{film, start, end, text} objects")
    return _csv_rows(path, format)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path, "a JSON file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None


def _detect_csv(path: Path, columns: list[str]) -> str:
    cols = set(columns)
    if "sentence" in cols:
        return "mad"
    if "imdbid_pe" in cols or "tvad_name" in cols:
        return "tvad"
    if "cmd_filename" in cols or "movie" in cols:
        return "cmdad"
    if "film" in cols:
        return "table"
    raise InputError(f"{path}: cannot tell the format from columns {', '.join(columns) or '(none)'}; expected MAD "
                     "(movie, sentence, start, end), CMD-AD (movie, text, start, end), TV-AD (imdbid_pe, text, start, "
                     "end) or a table (film, start, end, text)")


def _csv_rows(path: Path, format: str) -> tuple[str, Iterator[_Row]]:
    lines = read_text(path, "an annotation CSV").splitlines(keepends=True)
    reader = csv.reader(lines)
    columns = [c.strip() for c in next(reader, None) or []]
    if not columns:
        raise InputError(f"{path}: empty file; an annotation CSV needs a header row and one row per AD")
    fmt = _detect_csv(path, columns) if format == "auto" else format
    if fmt == "ad-script":
        raise InputError(f"{path}: an ad-script must be a .json file")
    missing = [c for c in REQUIRED[fmt] if c not in columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the {fmt} format needs "
                         f"{', '.join(REQUIRED[fmt])}")
    col = {c: i for i, c in enumerate(columns)}  # a repeated column name: its last one, as csv.DictReader
    film, text, start, end = (col[c] for c in REQUIRED[fmt])
    cast, duration, characters = (col.get(c) for c in (CAST_KEY[fmt], "movie_duration", "characters"))
    width, prefix = len(columns), f"{path}: line "

    def rows() -> Iterator[_Row]:
        for row in reader:
            if not row:
                continue
            if len(row) < width:  # a short row's missing cells are absent values
                row = row + [None] * (width - len(row))
            if row[film] is None or row[text] is None or row[start] is None or row[end] is None:
                gone = [c for c in REQUIRED[fmt] if row[col[c]] is None]
                raise InputError(f"{prefix}{reader.line_num}: missing {', '.join(gone)}")
            chars = None if characters is None or row[characters] is None else \
                tuple(c.strip() for c in row[characters].split(";") if c.strip())
            yield _Row(prefix + str(reader.line_num), row[film].strip(), row[start], row[end], row[text],
                       "" if cast is None else (row[cast] or "").strip(), None if duration is None else row[duration],
                       chars)

    return fmt, rows()


def _jsonl_rows(path: Path) -> Iterator[_Row]:
    lines = read_text(path, "a JSONL file").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {n}: invalid JSON ({exc.msg})") from None
        yield _dict_row(path, f"line {n}", d, "table")


def _dict_row(path: Path, where: str, d: Any, fmt: str) -> _Row:
    if not isinstance(d, dict):
        raise InputError(f"{path}: {where}: expected an object with {', '.join(REQUIRED[fmt])}")
    missing = [c for c in REQUIRED[fmt] if d.get(c) is None]
    if missing:
        raise InputError(f"{path}: {where}: missing {', '.join(missing)}")
    film_col, text_col = REQUIRED[fmt][0], REQUIRED[fmt][1]
    chars = d.get("characters")
    if isinstance(chars, str):
        chars = tuple(c.strip() for c in chars.split(";") if c.strip())
    elif isinstance(chars, list):
        chars = tuple(str(c) for c in chars)
    else:
        chars = None
    return _Row(f"{path}: {where}", str(d[film_col]).strip(), d["start"], d["end"], d[text_col],
                str(d.get(CAST_KEY[fmt]) or "").strip(), d.get("movie_duration"), chars)


def _mad_json_rows(path: Path, data: dict[str, Any]) -> Iterator[_Row]:
    for key, d in data.items():
        where = f"entry {key!r}"
        if not isinstance(d, dict) or "timestamps" not in d or "movie" not in d or "sentence" not in d:
            raise InputError(f"{path}: {where}: a MAD entry needs movie, sentence and timestamps [start, end]")
        ts = d["timestamps"]
        if not isinstance(ts, list) or len(ts) != 2:
            raise InputError(f"{path}: {where}: timestamps must be [start, end]")
        yield _Row(f"{path}: {where}", str(d["movie"]).strip(), ts[0], ts[1], d["sentence"], str(d.get("imdb", "")),
                   d.get("movie_duration"))


def _ad_script_rows(path: Path, data: Any) -> Iterator[_Row]:
    if not isinstance(data, dict) or data.get("schema") != AD_SCRIPT_SCHEMA:
        raise InputError(f"{path}: not a cinescribe AD script (schema {AD_SCRIPT_SCHEMA})")
    video = data.get("video") or {}
    film = Path(str(video.get("path") or path.name.removesuffix(".ad.json"))).stem
    descriptions = data.get("descriptions")
    if not isinstance(descriptions, list):
        raise InputError(f"{path}: AD script has no descriptions list")
    for i, d in enumerate(descriptions, 1):
        if not isinstance(d, dict) or not all(k in d for k in ("start", "end", "text")):
            raise InputError(f"{path}: description {i}: needs start, end and text")
        if str(d["text"]).strip():
            yield _Row(f"{path}: description {i}", film, d["start"], d["end"], d["text"], film,
                       video.get("duration"))


def _seconds(row: _Row, name: str, value: Any) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{row.where}: {name} {value!r} is not a number of seconds") from None
    if not 0.0 <= t < math.inf:  # NaN fails both comparisons
        raise InputError(f"{row.where}: {name} {value!r} must be a finite number of seconds >= 0")
    return t


def _load_charbank(path: str | Path) -> dict[str, list[str]]:
    data = _load_json(Path(path))
    if not isinstance(data, dict):
        raise InputError(f"{path}: a cast list must map IMDb ids to lists of {{role, name}}")
    cast: dict[str, list[str]] = {}
    for key, people in data.items():
        if not isinstance(people, list):
            raise InputError(f"{path}: entry {key!r}: expected a list of {{role, name}}")
        cast[str(key)] = [str(p["role"]) for p in people if isinstance(p, dict) and p.get("role")]
    return cast


def name_patterns(roles: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    """For each role, a regex matching any of its name words (titles excluded) as a whole word."""
    out = []
    for role in roles:
        words = [w for w in re.split(r"[\s\"'()]+", role) if len(w) > 1 and w.lower() not in _TITLES]
        if words:
            out.append((role, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")))
    return out


def _build(rows: list[_Row], source: str, fmt: str, charbank: str | Path | None) -> ADSet:
    cast = _load_charbank(charbank) if charbank is not None else {}
    patterns = {k: name_patterns(v) for k, v in cast.items()}
    seen: dict[tuple[str, int, int], tuple[str, str]] = {}
    ads: list[AD] = []
    dropped = 0
    used_cast: set[str] = set()
    for row in rows:
        if not row.film:
            raise InputError(f"{row.where}: empty film id")
        start = _seconds(row, "start", row.start)
        end = _seconds(row, "end", row.end)
        if end <= start:
            raise InputError(f"{row.where}: end {end:g} s is not after start {start:g} s")
        if row.duration not in (None, ""):
            duration = _seconds(row, "movie_duration", row.duration)
            if end > duration + 1.0:
                raise InputError(f"{row.where}: end {end:g} s is past the film's duration {duration:g} s")
        raw = row.text
        text = " ".join((raw if isinstance(raw, str) else str(raw)).split()) \
            if isinstance(raw, (str, int, float)) else ""
        if not text:
            raise InputError(f"{row.where}: empty AD text")
        characters = row.characters
        if characters is None:
            used_cast.add(row.cast_id)
            found = patterns.get(row.cast_id)
            characters = tuple(role for role, rx in found if rx.search(text)) if found else ()
        ad = AD(row.film, start, end, text, characters)
        key = ad.key
        if key in seen:
            first_where, first_text = seen[key]
            if first_text != text:
                raise InputError(f"{row.where}: duplicate key (film {ad.film}, {start:g}-{end:g} s) with different "
                                 f"text than {first_where.rsplit(': ', 1)[-1]}; keep one row per AD")
            dropped += 1
            continue
        seen[key] = (row.where, text)
        ads.append(ad)
    if not ads:
        raise InputError(f"{source}: no ADs found; the file has a header but no rows")
    if dropped:
        log.warning(f"{source}: {dropped} row(s) repeated exactly (same film, times and text) were counted once")
    ads.sort(key=lambda a: (a.film, a.start, a.end))
    return ADSet(ads, source, fmt, dropped, {k: v for k, v in cast.items() if k in used_cast})
