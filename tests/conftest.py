"""Makes the collection importable as ansible_collections.cloudbackup.precheck, and the test support
code (test servers) importable by name."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".venv", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "cloudbackup", "precheck")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, os.path.join(ROOT, "tests", "support")):
    if path not in sys.path:
        sys.path.insert(0, path)


# The contract's last clause: each status an item can return comes out of a functional scenario.
# The functional runs record what they produced (tests/support/contract.py); once the whole
# functional suite has passed, the pairs no run produced must be exactly the known gaps listed in
# tests/support/contract_gaps.txt (a new item without scenarios fails; a gap closed must be removed).
GAPS = os.path.join(ROOT, "tests", "support", "contract_gaps.txt")


def _controller(config):
    return not hasattr(config, "workerinput")


def _whole_functional_suite(config):
    if config.option.keyword or config.option.markexpr:
        return False
    targets = [os.path.abspath(arg.split("::")[0]) for arg in config.args] or [os.path.join(ROOT, "tests")]
    return any(target in (os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "functional"), ROOT)
               for target in targets)


def pytest_sessionstart(session):
    import contract
    if _controller(session.config) and os.path.isdir(contract.OBSERVED):
        import shutil
        shutil.rmtree(contract.OBSERVED)


def pytest_sessionfinish(session, exitstatus):
    import contract
    if exitstatus != 0 or not _controller(session.config) or not _whole_functional_suite(session.config):
        return
    with open(GAPS) as handle:
        known = set(tuple(line.split()) for line in handle if line.strip() and not line.startswith("#"))
    missing = set(contract.missing_scenarios())
    new, closed = sorted(missing - known), sorted(known - missing)
    if new or closed:
        lines = ["", "Contract: functional scenarios"]
        lines += ["  no functional scenario produces %s %s (add one)" % pair for pair in new]
        lines += ["  %s %s is produced now: remove it from tests/support/contract_gaps.txt" % pair for pair in closed]
        print("\n".join(lines))
        session.exitstatus = 1
