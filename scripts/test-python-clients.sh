#!/usr/bin/env bash
# The emulator driven by Python clients nobody here wrote (simple-salesforce), in an ignored virtual environment
# that this script makes (again when the pinned requirements change). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/lib/python-venv.sh
venv=.cache/venv-python-clients
ensure_venv "$venv" tools/salesforce-emulator/test/python/requirements.txt
[[ -f dist/tools/salesforce-emulator/src/cli.js ]] || npm run -s build
exec "$venv/bin/python" -m pytest tools/salesforce-emulator/test/python -q -p no:cacheprovider "$@"
