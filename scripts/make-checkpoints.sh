#!/bin/sh
# Regenerates the shipped planet data products from scratch: the truth dataset, four SFNO checkpoints that differ only
# by their seed, their 48-h calibration files, and the demo's truth excerpt. Slow (about 1.5 hours on 2 cores);
# the commands are the exact ones behind data/checkpoints/ (see data/checkpoints/PROVENANCE.md).
#
#   sh scripts/make-checkpoints.sh WORKDIR
set -eu
WORK=${1:?usage: sh scripts/make-checkpoints.sh WORKDIR}
MYRIAD="node bin/myriad.js"
mkdir -p "$WORK"

# 1. truth: 300 days from the shipped spun-up state (2000-05-31 .. 2001-03-27), 6-hourly on the 64x128 forecast grid
echo '{"days": 300, "start": "shipped", "threads": 1}' > "$WORK/truth-config.json"
$MYRIAD world run --config "$WORK/truth-config.json" --out "$WORK/truth.zarr" --quiet
$MYRIAD world climate "$WORK/truth.zarr"

# 2. four checkpoints, identical settings except the seed; two at a time, one thread each
train() {
  $MYRIAD train --data "$WORK/truth.zarr" --seed "$1" --out "$WORK/sfno-seed$1" \
    --epochs 10 --batch-size 4 --lr 2e-3 --warmup-steps 50 --weight-decay 0.01 --clip-norm 1 \
    --validation-years 1 --threads 1 --json > "$WORK/sfno-seed$1.json"
}
train 1 & train 2 & wait
train 3 & train 4 & wait

mkdir -p data/checkpoints
for s in 1 2 3 4; do cp "$WORK/sfno-seed$s/best.safetensors" "data/checkpoints/sfno-seed$s.safetensors"; done
