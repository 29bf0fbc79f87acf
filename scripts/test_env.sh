# shellcheck shell=bash
# Sourced by the test scripts: every tool runs from .venv, resolves cloudbackup.precheck to this
# checkout (never to a copy installed elsewhere), and keeps its caches and temporary files in a
# project-local home instead of the user's (ansible-test, molecule, ansible-lint and Ansible's
# ~/.ansible/tmp all write under $HOME).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.venv/collections"
export HOME="$root/tests/output/home"
mkdir -p "$HOME"
