#!/bin/bash
# The paper's encoder-decoder trained with the same data and budget as the shipped model: the
# README's seven training commands with --architecture paper-encoder-decoder, the same seeds (hence
# the same training and validation pairs). Resumable: a finished stage leaves OUT/sK.done, an
# interrupted one resumes from its checkpoint. Flags only the tip-conditioned network reads
# (--certainty-tolerance, --no-noise-condition) are kept, so the commands stay the README's.
# Compare with `python bench_deconv_tip.py --baseline OUT/s7`.
#
#   bash benchmarks/train_paper_baseline.sh [OUT]        (default OUT: /tmp/paper_baseline_chain)
set -euo pipefail
OUT=${1:-/tmp/paper_baseline_chain}
mkdir -p "$OUT"
T="afm-profiler train --architecture paper-encoder-decoder --generator wide --workers 2 --roughness-weight 0.5
   --roughness-kinds fractal --roughness-start 0.75"
S="--small-fraction 0.2 --n-train 12000 --n-val 600 --epochs 8 --patience 8"
N="--paper-noise 0 0.15 --tilt-probability 0.2 --wide-noise 0.005 0.5 --noise-corrected-erosion"
stage() {  # stage K FLAGS...: train OUT/sK unless done, resuming an interrupted run
    local k=$1; shift
    [ -f "$OUT/s$k.done" ] && return 0
    local resume=()
    [ -f "$OUT/s$k/checkpoint.pt" ] && resume=(--resume "$OUT/s$k/checkpoint.pt")
    echo "== stage $k $(date)"
    $T "$@" -o "$OUT/s$k" "${resume[@]}"
    touch "$OUT/s$k.done"
}
stage 1 --n-train 16000 --n-val 600 --epochs 14 --patience 14 --edge-weight 2 --seed 0
stage 2 $S --paper-fraction 0.35 --learning-rate 1e-3 --edge-weight 2 --certainty-tolerance 0 --no-noise-condition \
    --seed 1 --init "$OUT/s1"
stage 3 $S --paper-fraction 0.4 --learning-rate 7e-4 --edge-weight 2 --no-noise-condition --seed 2 --init "$OUT/s2"
stage 4 $S --paper-fraction 0.4 $N --learning-rate 8e-4 --edge-weight 2 --seed 3 --init "$OUT/s3"
stage 5 $S --paper-fraction 0.45 $N --learning-rate 6e-4 --edge-weight 3 --seed 4 --init "$OUT/s4"
stage 6 $S --paper-fraction 0.5 $N --learning-rate 5e-4 --edge-weight 5 --seed 5 --init "$OUT/s5"
stage 7 $S --paper-fraction 0.55 $N --learning-rate 4e-4 --edge-weight 8 --seed 6 --init "$OUT/s6"
