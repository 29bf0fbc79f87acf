# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs ansible-playbook against one of the benchmark's collections, measures pairs interleaved
(A B A B ...: both sides see the same load of the shared machine), and prints the table."""

from __future__ import absolute_import, division, print_function

import os
import statistics
import subprocess
import sys
import time

import yaml

VENV_BIN = os.path.dirname(sys.executable)
CONFIG = """[defaults]
collections_path = %(tree)s
callbacks_enabled = cloudbackup.precheck.precheck_report
stdout_callback = default
forks = 10
host_key_checking = False
retry_files_enabled = False
"""


class Playbooks:
    """ansible-playbook runs in `directory`, each against the collections path it is given."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def _write(self, name, content):
        path = os.path.join(self.directory, name)
        with open(path, "w") as handle:
            if isinstance(content, str):
                handle.write(content)
            else:
                yaml.safe_dump(content, handle, sort_keys=False)
        return path

    def run(self, tree, playbook, inventory, env=None, allowed=(0,)):
        """Seconds of wall time of one run; a run that ends otherwise than `allowed` stops the benchmark."""
        self.count += 1
        run = "run%04d" % self.count
        config = self._write(run + ".cfg", CONFIG % {"tree": tree})
        if not isinstance(playbook, str):
            playbook = self._write(run + ".playbook.yml", playbook)
        inventory = self._write(run + ".inventory.yml", inventory)
        environment = dict(os.environ, ANSIBLE_CONFIG=config, ANSIBLE_NOCOLOR="1",
                           ANSIBLE_LOCAL_TEMP=os.path.join(self.directory, "local-tmp"),
                           CLOUDBACKUP_PRECHECK_REPORT_DIR=os.path.join(self.directory, run + ".report"),
                           PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
        environment.update(env or {})
        started = time.monotonic()
        proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, playbook], env=environment,
                              cwd=self.directory, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        if proc.returncode not in allowed:
            raise RuntimeError("%s (%s) ended with %d:\n%s\n%s" % (
                playbook, inventory, proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
        return elapsed


def interleaved(first, second, pairs):
    """[(a, b), ...]: `first` then `second`, `pairs` times."""
    return [(first(), second()) for _pair in range(pairs)]


class Row:
    """One line of the table: the medians of both sides, and the ratio taken pair by pair."""

    def __init__(self, label, measured, unit="s", ratio=lambda a, b: b / a):
        self.label = label
        self.unit = unit
        self.first = statistics.median(a for a, _b in measured)
        self.second = statistics.median(b for _a, b in measured)
        ratios = [ratio(a, b) for a, b in measured]
        self.ratio = statistics.median(ratios)
        self.low, self.high = min(ratios), max(ratios)
        self.pairs = len(measured)


HEADER = ("B against A", "A", "B", "ratio median", "ratio range", "pairs")


def quantity(value, unit):
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return "%.*f %s" % (digits, value, unit)


def table(rows):
    """Markdown: one line per row; the ratio is B/A unless the row says otherwise."""
    lines = [[row.label, quantity(row.first, row.unit), quantity(row.second, row.unit), "%.2f" % row.ratio,
              "%.2f to %.2f" % (row.low, row.high), str(row.pairs)] for row in rows]
    widths = [max(len(line[column]) for line in [HEADER] + lines) for column in range(len(HEADER))]

    def format_line(cells):
        return "| " + " | ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                                 for column, (cell, width) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join("-" * (width + 1) + ("-" if column == 0 else ":") for column, width in enumerate(widths)) + "|"
    return "\n".join([format_line(HEADER), rule] + [format_line(line) for line in lines])
