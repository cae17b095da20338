#!/usr/bin/env bash
# Dependency floors, proven: a throw-away venv on the lowest Python that requires-python admits
# (when this machine has it) with exactly the lowest version of every dependency that
# pyproject.toml declares (`pkg>=X` -> `pkg==X`, wheels only), then
#   1. the samples read there give the same three frames as with the current versions
#      (scripts/frames_snapshot.py; the current frames come from .venv, which must exist), and
#   2. .ci/floors_smoke.py uses each dependency for what xltools needs it for.
# Dependencies of dependencies resolve to their newest compatible releases, as they would for
# a user who installs xltools beside those floors.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

read -r pyfloor pins < <(python3 - <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
py = re.fullmatch(r">=\s*([0-9.]+)", project["requires-python"]).group(1)
pins = []
for dep in project["dependencies"]:
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", dep)
    if not m:
        raise SystemExit(f"floors: {dep!r} has no '>=' floor")
    pins.append(f"{m.group(1)}=={m.group(2)}")
print(py, " ".join(pins))
PY
)

python=""
for candidate in "python$pyfloor" "$(pyenv root 2>/dev/null)/versions/$pyfloor"*/bin/"python$pyfloor"; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' 2>/dev/null; then
    python=$(command -v "$candidate"); break
  fi
done
if [ -z "$python" ]; then
  python=python3
  echo "floors: no Python $pyfloor here; checking the package floors on $(python3 -V)"
fi
echo "floors: $("$python" -V) with $pins"

"$python" -m venv "$work/venv"
# shellcheck disable=SC2086
"$work/venv/bin/pip" install -q --disable-pip-version-check --only-binary :all: $pins

.venv/bin/python scripts/frames_snapshot.py save "$work/latest.pkl" workbooks/samples >/dev/null
PYTHONPATH=$PWD "$work/venv/bin/python" scripts/frames_snapshot.py save "$work/floors.pkl" workbooks/samples >/dev/null
.venv/bin/python scripts/frames_snapshot.py compare "$work/latest.pkl" "$work/floors.pkl"
# an encrypted sample, made with the current msoffcrypto-tool (encrypting needs a newer one than
# xltools, which only decrypts)
.venv/bin/python - "$work/locked.xlsx" <<'PY'
import sys
from msoffcrypto.format.ooxml import OOXMLFile
with open("workbooks/samples/01_R6_さくら総合病院_記入.xlsx", "rb") as src, open(sys.argv[1], "wb") as out:
    OOXMLFile(src).encrypt("himitsu", out)
PY
PYTHONPATH=$PWD "$work/venv/bin/python" .ci/floors_smoke.py workbooks/samples "$work/locked.xlsx"
echo "floors: ok"
