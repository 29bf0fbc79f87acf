#!/usr/bin/env bash
# Runs ansible-test on a copy of this checkout: `scripts/ansible_test.sh sanity|units|integration
# [ansible-test options]`. ansible-test needs the collection under
# .../ansible_collections/cloudbackup/precheck by its real path (a symlink does not count), and a pip
# bootstrap script that it would otherwise download from a host this machine cannot reach.
set -euo pipefail
# shellcheck source=scripts/test_env.sh
source "$(dirname "$0")/test_env.sh"
command=${1:?usage: scripts/ansible_test.sh sanity|units|integration [ansible-test options]}
shift

pip_version=$(python - <<'PY'
import os, re, ansible_test
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/tests/sanity/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/cloudbackup/precheck"
mkdir -p "$dest"
git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$dest")
cd "$dest"
git init -q && git add -A   # ansible-test finds the files to test through git
case $command in
  integration) ansible-test integration --local --python 3.11 "$@" ;;
  *) ansible-test "$command" --python 3.11 --requirements "$@" ;;
esac
