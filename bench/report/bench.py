# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report benchmark: synthetic fleets (1,000 and 10,000 hosts x 30 results by default)
through the callback's real code path (CallbackModule's event methods, then v2_playbook_on_stats
writing every format), each size in a fresh process so that its peak memory is its own.

    .venv/bin/python bench/report/bench.py [--hosts 1000 10000] [--breakdown] [--browser]

Prints one table: wall and CPU time of the callback (the synthetic events' own generation is not
counted), peak resident memory of the process, the size of every file and the terminal report's
lines, and the growth from the smallest to the largest fleet. See bench/report/README.md.
"""

from __future__ import absolute_import, division, print_function

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, ".venv", "collections"), os.path.join(ROOT, "tests", "support")]

FILES = ("precheck.json", "precheck-junit.xml", "precheck.md", "precheck.html")


class Display:
    """Collects what the callback prints (as Ansible's display would print it)."""

    verbosity = 0

    def __init__(self):
        self.lines = 0
        self.warnings = []

    def display(self, msg, *args, **kwargs):
        self.lines += msg.count("\n") + 1

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)


class Timed:
    """Wraps the callback so that only its own methods are timed."""

    def __init__(self, callback):
        self.callback = callback
        self.cpu = 0.0
        self.wall = 0.0

    def __getattr__(self, name):
        method = getattr(self.callback, name)

        def timed(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - cpu
                self.wall += time.perf_counter() - wall
        return timed


def make_callback(output_dir):
    import yaml
    from ansible import constants as C
    from ansible_collections.cloudbackup.precheck.plugins.callback import precheck_report

    name = "cloudbackup.precheck.precheck_report"
    C.config.initialize_plugin_configuration_definitions(
        "callback", name, yaml.safe_load(precheck_report.DOCUMENTATION)["options"])
    display = Display()
    callback = precheck_report.CallbackModule(display=display)
    callback._load_name = name
    callback.set_options(direct={"output_dir": output_dir})
    return callback, display


class Playbook:
    _file_name = "precheck.yml"


def run_one(hosts, breakdown):
    """One fleet size, in this process: the figures as a dict."""
    from ansible_collections.cloudbackup.precheck.tests.support import fleet
    from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report

    output_dir = tempfile.mkdtemp(prefix="precheck-bench-")
    callback, display = make_callback(output_dir)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    timed = Timed(callback)
    timed.v2_playbook_on_start(Playbook())
    names = fleet.feed(timed, hosts)
    feed_cpu, feed_wall = timed.cpu, timed.wall
    timed.v2_playbook_on_stats(fleet.Stats(names))
    figures = {
        "hosts": hosts, "results": hosts * 30,
        "feed_cpu": feed_cpu, "feed_wall": feed_wall,
        "publish_cpu": timed.cpu - feed_cpu, "publish_wall": timed.wall - feed_wall,
        "cpu": timed.cpu, "wall": timed.wall,
        "baseline_mb": baseline, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "terminal_lines": display.lines, "warnings": display.warnings,
        "sizes": dict((name, os.path.getsize(os.path.join(output_dir, name))) for name in FILES),
        "output_dir": output_dir,
    }
    if breakdown:
        # Each stage once more on the same collector, timed on its own.
        stages = {}
        cpu = time.process_time()
        model = report.build_report(callback._collector)
        stages["model"] = time.process_time() - cpu
        for fmt in report.FORMATS:
            cpu = time.process_time()
            report.write_atomic(os.path.join(output_dir, "again-" + report.FILE_NAMES[fmt]), report.RENDERERS[fmt](model))
            stages[fmt] = time.process_time() - cpu
        cpu = time.process_time()
        report.render_terminal(model, ())
        stages["terminal"] = time.process_time() - cpu
        figures["stages"] = stages
    return figures


def browser_timing(path):
    """Open the page in headless Chromium and apply a filter: seconds for each."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        started = time.perf_counter()
        page.goto("file://" + path, wait_until="load", timeout=120000)
        page.wait_for_selector("#filters:not([hidden])")
        opened = time.perf_counter() - started
        started = time.perf_counter()
        page.select_option("select[name=check]", "sqlserver.database_state")
        page.select_option("select[name=status]", "failed")
        page.wait_for_function("document.getElementById('shown').textContent.length > 0")
        filtered = time.perf_counter() - started
        browser.close()
    return {"open_s": opened, "filter_s": filtered}


def _mb(size):
    return "%.1f MB" % (size / 1e6) if size >= 1e5 else "%.1f KB" % (size / 1e3)


def _size_cell(name, run):
    return _mb(run["sizes"][name])


def _stage_cell(stage, run):
    return "%.2f" % run["stages"][stage]


def table(runs):
    rows = [("hosts x results", lambda r: "%d x 30" % r["hosts"]),
            ("callback CPU, events (s)", lambda r: "%.2f" % r["feed_cpu"]),
            ("callback CPU, report and files (s)", lambda r: "%.2f" % r["publish_cpu"]),
            ("callback CPU, total (s)", lambda r: "%.2f" % r["cpu"]),
            ("callback wall, total (s)", lambda r: "%.2f" % r["wall"]),
            ("peak RSS of the process (MB)", lambda r: "%.0f" % r["peak_mb"]),
            ("RSS before the run (MB)", lambda r: "%.0f" % r["baseline_mb"]),
            ("terminal report (lines)", lambda r: str(r["terminal_lines"]))]
    rows += [(name, functools.partial(_size_cell, name)) for name in FILES]
    if all("stages" in r for r in runs):
        rows += [("CPU %s (s)" % stage, functools.partial(_stage_cell, stage)) for stage in runs[0]["stages"]]
    if all("browser" in r for r in runs):
        rows += [("chromium open (s)", lambda r: "%.2f" % r["browser"]["open_s"]),
                 ("chromium filter (s)", lambda r: "%.2f" % r["browser"]["filter_s"])]
    lines = ["| figure | " + " | ".join("%d hosts" % r["hosts"] for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    lines += ["| %s | %s |" % (label, " | ".join(cell(r) for r in runs)) for label, cell in rows]
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        lines.append("")
        lines.append("Growth from %d to %d hosts (x%.0f): CPU x%.1f, peak RSS above baseline x%.1f, precheck.json x%.1f"
                     % (first["hosts"], last["hosts"], last["hosts"] / float(first["hosts"]), last["cpu"] / first["cpu"],
                        (last["peak_mb"] - last["baseline_mb"]) / max(first["peak_mb"] - first["baseline_mb"], 1),
                        last["sizes"]["precheck.json"] / float(first["sizes"]["precheck.json"])))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--breakdown", action="store_true", help="also time each stage on its own")
    parser.add_argument("--browser", action="store_true", help="also time precheck.html in headless Chromium")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.breakdown)))
        return
    runs = []
    for hosts in args.hosts:
        command = [sys.executable, os.path.abspath(__file__), "--one", str(hosts)] + (
            ["--breakdown"] if args.breakdown else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        run = json.loads(out.strip().splitlines()[-1])
        if args.browser:
            run["browser"] = browser_timing(os.path.join(run["output_dir"], "precheck.html"))
        runs.append(run)
        if run["warnings"]:
            print("warnings at %d hosts: %s" % (hosts, run["warnings"]))
    print(table(runs))
    for run in runs:
        subprocess.run(["rm", "-rf", run["output_dir"]], check=False)


if __name__ == "__main__":
    main()
