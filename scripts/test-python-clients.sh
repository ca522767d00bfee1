#!/usr/bin/env bash
# The emulator driven by Python clients nobody here wrote (simple-salesforce), in an ignored virtual environment
# that this script makes (again when the pinned requirements change). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.cache/venv-python-clients
requirements=tools/salesforce-emulator/test/python/requirements.txt
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$requirements" "$venv/.requirements"; then
  echo "python clients: setting up $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.requirements"
fi
[[ -f dist/tools/salesforce-emulator/src/cli.js ]] || npm run -s build
exec "$venv/bin/python" -m pytest tools/salesforce-emulator/test/python -q -p no:cacheprovider "$@"
