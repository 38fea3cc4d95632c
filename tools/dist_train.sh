#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NPROC [train.py options]
# One process per GPU with NCCL on CUDA machines; NPROC CPU processes with gloo
# otherwise. Multi-node: set NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -e
CONFIG=$1
NPROC=$2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-$( [ -x "$TOOLS/../.venv/bin/python" ] && echo "$TOOLS/../.venv/bin/python" || echo python)}
"$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"
