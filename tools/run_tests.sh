#!/usr/bin/env bash
# Set everything up (first run only) and run the test suite. Extra arguments go to
# pytest. "No tests collected" (pytest exit code 5) counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh || exit 1
.venv/bin/python -m pytest tests "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "run_tests.sh: pytest collected no tests; that is a failure" >&2
fi
exit $rc
