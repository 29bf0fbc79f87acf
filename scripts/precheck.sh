#!/usr/bin/env bash
# README command 1: set up, then run playbooks/precheck.yml against localhost (or the inventory given
# with -i). The fleet report is printed at the end and written to reports/. Exits 2 when the gate
# blocks a host, as ansible-playbook does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
export CLOUDBACKUP_PRECHECK_REPORT_DIR="${CLOUDBACKUP_PRECHECK_REPORT_DIR:-$root/reports}"
exec .venv/bin/ansible-playbook playbooks/precheck.yml "$@"
