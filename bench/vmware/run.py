"""The VMware engine at scale: one vmware_precheck task over a simulated vCenter of 1,000 VMs
against one over 10 VMs, in the same playbook run, with the module's wall time and peak memory and
the size of the report for 1,000 VM targets. A benchmark, not a test: it asserts nothing.

    .venv/bin/python bench/vmware/run.py            # about 2 minutes; prints a table and writes JSON
"""

import json
import os
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, "tests", "functional")]

from harness import run_playbook  # noqa: E402
from vcsim import Vcsim  # noqa: E402

USER, PASSWORD = "administrator@vsphere.local", "Bench-pw-4d2a"
# govmomi's VPX model has two resource pools (a standalone host's and a cluster's): -vm N gives 2N VMs.
SIZES = (("small", 5), ("large", 500))


def main():
    work = tempfile.mkdtemp(prefix="cbp-bench-vmware-")
    times = os.path.join(work, "times.txt")
    sims = dict((name, Vcsim(work, {USER: PASSWORD}, vms=per_pool)) for name, per_pool in SIZES)
    started = {}
    for name, sim in sims.items():
        begin = time.monotonic()
        sim.start(timeout=300)
        started[name] = time.monotonic() - begin
    try:
        tasks = [{"name": "vmware_precheck over the %s vCenter" % name,
                  "cloudbackup.precheck.vmware_precheck": {
                      "hostname": "127.0.0.1", "port": sim.port, "username": USER, "password": PASSWORD,
                      "validate_certs": False, "connect_timeout": 5, "label": name},
                  "register": "r_" + name} for name, sim in sims.items()]
        play = [{"name": "VMware benchmark", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        inventory = {"all": {"hosts": {"localhost": {
            "ansible_connection": "local",
            "ansible_python_interpreter": os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "measured-python")}}}}
        env = {"BENCH_TIMES": times, "BENCH_PYTHON": sys.executable}
        begin = time.monotonic()
        run = run_playbook(_Path(work), inventory, playbook=play, env=env, timeout=1800)
        total = time.monotonic() - begin
    finally:
        for sim in sims.values():
            sim.stop()
    figures = {"playbook_seconds": round(total, 1), "rc": run.rc, "simulator_start_seconds": started}
    with open(times) as handle:
        for line in handle:
            match = re.match(r"^([\d.]+) (\d+) .*AnsiballZ_vmware_precheck", line)
            if match:
                figures.setdefault("module_runs", []).append(
                    {"seconds": float(match.group(1)), "peak_rss_mib": round(int(match.group(2)) / 1024.0, 1)})
    results = run.results()
    for name, _per_pool in SIZES:
        mine = [r for r in results if r["target"].startswith(name + " (")]
        figures[name] = {"results": len(mine),
                         "vm_targets": len(set(r["target"] for r in mine if "/DC0/" in r["target"]
                                               and "/host/" not in r["target"])),
                         "statuses": dict((s, sum(1 for r in mine if r["status"] == s))
                                          for s in ("passed", "warning", "failed", "error", "skipped"))}
    for name in ("precheck.json", "precheck.md", "precheck-junit.xml", "precheck.html"):
        path = os.path.join(run.report_dir, name)
        figures.setdefault("report_bytes", {})[name] = os.path.getsize(path) if os.path.exists(path) else None
    figures["terminal_report_lines"] = len(run.stdout.splitlines())
    with open(os.path.join(work, "figures.json"), "w") as handle:
        json.dump(figures, handle, indent=2)
    print(json.dumps(figures, indent=2))
    print("work directory:", work)
    return 0 if run.rc in (0, 2) else 1


class _Path(str):
    """run_playbook wants a pathlib-like tmp_path."""

    def __truediv__(self, other):
        import pathlib
        return pathlib.Path(self) / other


if __name__ == "__main__":
    sys.exit(main())
