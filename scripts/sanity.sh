#!/usr/bin/env bash
# ansible-test sanity needs the collection under .../ansible_collections/cloudbackup/precheck by its
# real path (a symlink does not count), and a pip bootstrap script it would otherwise download.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py="$root/.venv/bin/python"
pip_version=$("$py" - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/sanity/get_pip_standin.py" ~/.ansible/test/cache/get_pip_${pip_version//./_}.py

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/cloudbackup/precheck"
mkdir -p "$dest"
git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$dest")
cd "$dest"
git init -q && git add -A   # ansible-test finds the files to test through git
PATH="$root/.venv/bin:$PATH" "$root/.venv/bin/ansible-test" sanity --python 3.11 --requirements "$@"
