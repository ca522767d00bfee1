#!/usr/bin/env bash
# The browser the console's tests drive: Debian's Chromium (no browser download). Prints its path; installs the
# package when it is missing (as root, with apt-get). CHROMIUM_PATH picks another binary.
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$path" ]]; then
  if [[ -n "${CHROMIUM_PATH:-}" ]]; then echo "browser: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2; exit 1; fi
  command -v apt-get >/dev/null || { echo "browser: no $path and no apt-get to install Debian's chromium; set CHROMIUM_PATH" >&2; exit 1; }
  [[ "$(id -u)" == "0" ]] || { echo "browser: installing chromium needs root (apt-get); or set CHROMIUM_PATH" >&2; exit 1; }
  echo "browser: installing Debian's chromium…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium >&2; }
fi
"$path" --version >&2
echo "$path"
