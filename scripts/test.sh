#!/usr/bin/env bash
# README command 2: set up everything from nothing, then run every test: ansible-test sanity, units and
# integration, ansible-lint, the docs lint, the changelog fragment check, molecule, pytest (unit,
# functional and packaging tests) on the newest ansible-core that requirements.txt admits, and the
# unit tests with a functional subset on the oldest one that meta/runtime.yml admits.
# Every stage runs even when an earlier one fails; the exit code is non-zero if any failed. Arguments
# go to the main pytest stage (`scripts/test.sh -k mysql`).
set -uo pipefail
"$(dirname "$0")/setup.sh" --test || exit 1
# shellcheck source=scripts/test_env.sh
source "$(dirname "$0")/test_env.sh"
cd "$root" || exit 1

failed=()
stage() {
  local name=$1 started=$SECONDS
  shift
  echo "=== $name"
  "$@" || failed+=("$name")
  echo "=== $name: $((SECONDS - started)) s"
}

# The ansible-core range: requirements.txt caps it, meta/runtime.yml states it; both must agree, and
# the cap must be the release line after the one pip installed into .venv (the newest tested).
core_range() {
  local runtime pip_range installed
  runtime=$(sed -n "s/^requires_ansible: '>=\([0-9]*\.[0-9]*\)\.0,<\([0-9]*\.[0-9]*\)\.0'$/\1 \2/p" meta/runtime.yml)
  pip_range=$(sed -n 's/^ansible-core>=\([0-9.]*\),<\([0-9.]*\)$/\1 \2/p' requirements.txt)
  installed=$(python -c 'from ansible.release import __version__ as v; print(".".join(v.split(".")[:2]))')
  echo "ansible-core range: meta/runtime.yml ${runtime:-?}, requirements.txt ${pip_range:-?}, newest installed $installed"
  [ -n "$runtime" ] && [ "$runtime" = "$pip_range" ] && [ "${runtime#* }" = "${installed%.*}.$((${installed#*.} + 1))" ]
}
oldest=$(sed -n "s/^requires_ansible: '>=\([0-9]*\.[0-9]*\)\.0.*/\1/p" meta/runtime.yml)

stage "ansible-core range" core_range
stage "ansible-test sanity" scripts/ansible_test.sh sanity
stage "ansible-test units" scripts/ansible_test.sh units
stage "ansible-lint" ansible-lint
stage "collection docs lint" antsibull-docs lint-collection-docs --plugin-docs .venv/collections/ansible_collections/cloudbackup/precheck
stage "changelog fragments" scripts/check_fragments.sh
stage "molecule" bash -c 'cd roles/precheck && molecule test'
stage "ansible-test integration" scripts/ansible_test.sh integration
stage "pytest, $(ansible --version | head -n 1)" python -m pytest -p no:cacheprovider -ra "$@"
stage "ansible-core $oldest: unit tests and functional subset" scripts/test_core.sh "$oldest"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
