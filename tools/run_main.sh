#!/usr/bin/env bash
# Set everything up (first run only) and run the main job on the synthetic dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
exec .venv/bin/python tools/run_pipeline.py "$@"
