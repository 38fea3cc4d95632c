#!/usr/bin/env bash
# Create (or reuse) the project-local virtual environment `.venv` with torch,
# torchvision, mmcv 2.1.0 (compiled ops), mmengine, mmsegmentation, mmpretrain and
# this package in editable mode. Idempotent: a second run only checks a stamp.
#
# Environment overrides:
#   SEMFORMER_VENV          where the environment lives (default: <repo>/.venv)
#   SEMFORMER_CACHE         where built mmcv wheels are kept (default: ~/.cache/semformer)
#   SEMFORMER_TORCH         pip spec for torch + torchvision (default: by machine, below)
#   SEMFORMER_MMCV_INDEX    a find-links URL with prebuilt mmcv wheels (CUDA users, see README)
#   PYTHON                  the interpreter that creates the venv (default: python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SEMFORMER_VENV:-$ROOT/.venv}"
CACHE="${SEMFORMER_CACHE:-$HOME/.cache/semformer}"
PY="$VENV/bin/python"
MMCV_VERSION=2.1.0   # mmseg 1.2.2 asserts mmcv < 2.2.0; 2.1.0 is the newest below it.

# torch + torchvision must come as a matching pair: PyPI's torchvision only loads beside
# the torch build it was made for. These pairs were verified on CPU-only machines.
if [[ -z "${SEMFORMER_TORCH:-}" ]]; then
  case "$(uname -m)" in
    aarch64) SEMFORMER_TORCH="torch==2.9.1 torchvision==0.24.1" ;;
    *)       SEMFORMER_TORCH="torch==2.14.1 torchvision==0.29.1" ;;
  esac
fi

stamp_key() {
  { cat "$ROOT/tools/setup_env.sh" "$ROOT/requirements/runtime.txt" "$ROOT/setup.py"
    echo "$SEMFORMER_TORCH ${SEMFORMER_MMCV_INDEX:-}"; } | sha256sum | cut -c1-16
}
STAMP="$VENV/.semformer-setup-$(stamp_key)"
if [[ -f "$STAMP" ]]; then
  exit 0
fi

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
t0=$(date +%s)

if [[ ! -x "$PY" ]]; then
  log "creating virtual environment $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
# (the grep drops pip's notes about empty local index folders on some machines)
pip_install() {
  "$PY" -m pip install --disable-pip-version-check "$@" 2>&1 | { grep -v 'is ignored: it is neither' || true; }
}

log "torch: $SEMFORMER_TORCH"
# shellcheck disable=SC2086
pip_install -q $SEMFORMER_TORCH wheel ninja
# torch 2.14 wants setuptools >= 77.0.3; mmcv 2.1.0's setup.py and mmengine's `mmseg::`
# config bases need pkg_resources, which setuptools 80 deprecates with a warning at every
# import and 82 removes.
pip_install -q "setuptools>=77.0.3,<80"
# Before mmcv, whose wheel asks for any opencv-python (and would pull OpenCV 5).
pip_install -q "numpy>=1.24,<2.5" "opencv-python>=4.8,<5"

# mmcv with compiled ops. A wheel is only reused if it was built against this exact
# torch build, Python and machine: the key below names all of them, and pip's own
# wheel cache is bypassed (it reuses wheels built against another torch silently).
TORCH_KEY="$("$PY" -c 'import sys, platform, torch
print(f"torch{torch.__version__}-cuda{torch.version.cuda or 0}-cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')"
if ! "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
  if [[ -n "${SEMFORMER_MMCV_INDEX:-}" ]]; then
    log "mmcv $MMCV_VERSION from $SEMFORMER_MMCV_INDEX"
    pip_install --no-cache-dir "mmcv==$MMCV_VERSION" -f "$SEMFORMER_MMCV_INDEX"
  else
    WHEELS="$CACHE/wheels/mmcv$MMCV_VERSION-$TORCH_KEY"
    if ! ls "$WHEELS"/mmcv-*.whl >/dev/null 2>&1; then
      log "building mmcv $MMCV_VERSION with ops against $TORCH_KEY (12-21 min on 2 cores)"
      SRC="$(mktemp -d)"
      "$PY" -m pip download -q --no-deps --no-binary :all: -d "$SRC" "mmcv==$MMCV_VERSION" \
        2>&1 | { grep -v 'is ignored: it is neither' || true; }
      tar -xzf "$SRC/mmcv-$MMCV_VERSION.tar.gz" -C "$SRC"
      # torch >= 2.10 headers need C++20; mmcv 2.1.0's setup.py asks for C++17.
      if grep -q 'C++20 or later' "$("$PY" -c 'import torch.utils.cpp_extension as c; print(c.include_paths()[0])')/ATen/ATen.h"; then
        sed -i 's/-std=c++17/-std=c++20/' "$SRC/mmcv-$MMCV_VERSION/setup.py"
      fi
      rm -rf "$WHEELS.tmp" && mkdir -p "$WHEELS.tmp"
      MAX_JOBS="${MAX_JOBS:-$(nproc)}" MMCV_WITH_OPS=1 FORCE_CUDA="${FORCE_CUDA:-0}" \
        "$PY" -m pip wheel --no-build-isolation --no-deps --no-cache-dir \
        -w "$WHEELS.tmp" "$SRC/mmcv-$MMCV_VERSION" > "$SRC/build.log" 2>&1 \
        || { tail -n 60 "$SRC/build.log"; echo "mmcv build failed; full log: $SRC/build.log" >&2; exit 1; }
      rm -rf "$WHEELS" && mv "$WHEELS.tmp" "$WHEELS" && rm -rf "$SRC"
    else
      log "reusing mmcv wheel built against $TORCH_KEY from $WHEELS"
    fi
    pip_install --no-cache-dir "$WHEELS"/mmcv-*.whl
  fi
fi

log "OpenMMLab packages and the rest of requirements/runtime.txt"
pip_install -q -r "$ROOT/requirements/runtime.txt"
log "semformer (editable)"
pip_install -q --no-deps --no-build-isolation -e "$ROOT"

# Fail here, not in the first training run, if the stack does not fit together.
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmengine, mmseg, mmpretrain, torch, torchvision, semformer
print(f'torch {torch.__version__}, torchvision {torchvision.__version__}, '
      f'mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}')
EOF
rm -f "$VENV"/.semformer-setup-*
touch "$STAMP"
log "environment ready in $(( $(date +%s) - t0 )) s: $VENV"
