#!/usr/bin/env bash
# README command 2: set up everything from nothing, then run every test:
# ansible-test sanity, ansible-lint, the docs lint, molecule, and pytest (unit and functional) last.
# Every stage runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --test || exit 1
cd "$root"
export PATH="$root/.venv/bin:$PATH"
# Every tool resolves cloudbackup.precheck to this checkout, never to a copy installed elsewhere.
export ANSIBLE_COLLECTIONS_PATH="$root/.venv/collections"

failed=()
stage() {
  local name=$1; shift
  echo "=== $name"
  "$@" || failed+=("$name")
}

stage "ansible-test sanity" scripts/sanity.sh
stage "ansible-lint" ansible-lint
stage "collection docs lint" antsibull-docs lint-collection-docs --plugin-docs .venv/collections/ansible_collections/cloudbackup/precheck
stage "molecule" bash -c 'cd roles/precheck && molecule test'
stage "pytest" python -m pytest -p no:cacheprovider -ra "$@"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
