#!/usr/bin/env bash
# Installs what this checkout needs, from nothing, and only what is missing:
#   scripts/setup.sh          the main job (Python venv with Ansible and the database drivers)
#   scripts/setup.sh --test   also the test tools and the Debian packages the tests use
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

debs=(iproute2)
# Debian's own Python needs python3-venv for `python3 -m venv`; a Python that has venv and ensurepip
# (pyenv, python.org builds) does not.
python3 -c 'import venv, ensurepip' 2>/dev/null || debs+=(python3 python3-venv)
if [ "${1:-}" = "--test" ]; then
  # unixodbc + tdsodbc: pyodbc and the FreeTDS driver; mariadb-server: the MySQL tests' real server;
  # openssl: the test HTTPS endpoint's certificate; openssh-client: the unreachable-host scenario;
  # git: ansible-test lists the collection's files through it (without the shellcheck package,
  # ansible-test sanity skips its shellcheck test); chromium: the HTML report's browser test
  # (Playwright drives Debian's chromium, its own browser download is not needed).
  debs+=(unixodbc tdsodbc mariadb-server openssl openssh-client git shellcheck chromium)
  # golang-go + golang-github-vmware-govmomi-dev: the VMware tests build govmomi's vCenter simulator
  # (tests/support/vcsim) from Debian's sources; no Go module proxy is needed.
  debs+=(golang-go golang-github-vmware-govmomi-dev)
  # Host engine tests: zstd, lz4 and xz compress fixture initramfs images; e2fsprogs (mkfs.ext4, chattr)
  # and mount (losetup) build loop-mounted file systems; procps (pgrep) checks that no command is left.
  debs+=(zstd lz4 xz-utils e2fsprogs mount procps)
fi

missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
reqs=(-r requirements.txt)
[ "${1:-}" = "--test" ] && reqs+=(-r tests/requirements.txt)
stamp=".venv/.installed-$(cat requirements.txt requirements/*.txt tests/requirements.txt tests/unit/requirements.txt | sha1sum | cut -c1-12)${1:-}"
if [ ! -e "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check "${reqs[@]}"
  touch "$stamp"
fi

# Ansible finds the collection by its name: ansible_collections/cloudbackup/precheck -> this checkout.
mkdir -p .venv/collections/ansible_collections/cloudbackup
ln -sfn "$root" .venv/collections/ansible_collections/cloudbackup/precheck
