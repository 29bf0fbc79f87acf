#!/usr/bin/env bash
# Runs the unit tests and a functional subset on another ansible-core release line, in a virtual
# environment of its own: `scripts/test_core.sh 2.16 [pytest options]` uses .venv-core216. The subset
# runs the role, its gate and the report callback end to end (tests/functional/host/test_precheck.py)
# and one database engine against a real server (tests/functional/mysql/test_precheck.py). Needs
# `scripts/setup.sh --test` first (the Debian packages, and the collection link in .venv/collections
# that the tests resolve the collection by).
set -euo pipefail
# shellcheck source=scripts/test_env.sh
source "$(dirname "$0")/test_env.sh"
version=${1:?usage: scripts/test_core.sh <ansible-core minor version, such as 2.16> [pytest options]}
shift
cd "$root"

venv="$root/.venv-core${version//./}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
stamp="$venv/.installed-$(cat requirements.txt requirements/*.txt tests/unit/requirements.txt | sha1sum | cut -c1-12)"
if [ ! -e "$stamp" ]; then
  echo "test_core: installing ansible-core $version.* into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt \
    -r tests/unit/requirements.txt "ansible-core==$version.*" "pytest>=8" "pytest-xdist>=3"
  touch "$stamp"
fi
"$venv/bin/ansible" --version | head -n 1
# The functional tests run ansible-playbook from the directory of the Python that runs them.
PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest -p no:cacheprovider -ra -n 2 \
  tests/unit tests/functional/host/test_precheck.py tests/functional/mysql/test_precheck.py "$@"
