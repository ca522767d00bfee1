# Sourced: ensure_venv <dir> <requirements.txt> makes an ignored virtual environment with exactly those pins
# (again when the requirements file changes).
ensure_venv() {
  local venv="$1" requirements="$2"
  if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$requirements" "$venv/.requirements"; then
    echo "python: setting up $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.requirements"
  fi
}
