# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: precheck_report
type: aggregate
short_description: Fleet report of the backup precheck, in the terminal and as JSON, JUnit, Markdown and HTML files
version_added: 0.1.0
description:
  - Collects the check results that the C(cloudbackup.precheck) modules return under the result key
    C(check_results) (also from loops and from failed tasks), and the host fact C(cloudbackup_precheck)
    that the role C(cloudbackup.precheck.precheck) sets with the gate's decision.
  - "At the end of the playbook it prints a fleet report bounded by O(terminal_lines), not by the fleet: the
    headline (hosts ready, blocked, not evaluated), a table of checks with the number of hosts per status,
    the findings grouped by what is wrong (finding code, status and disposition) with the blocking ones
    first, example targets and how many more, the hosts that were not evaluated grouped by why, how to
    accept or skip a finding, and the report files written."
  - "A host's verdict: with the role's fact, V(ready) or V(blocked) as the gate decided (the fact's results
    are used, so nothing is counted twice). Without the fact, the worst status of its results
    (V(error), V(failed), V(warning), V(passed), or V(skipped) if every result was skipped).
    A host that was unreachable, failed a task before its precheck completed, or skipped every task
    is V(not_evaluated) with the reason (for a loop, the failing item's own message), never passed."
  - With O(output_dir) set it writes the files of O(formats) there (C(precheck.json), C(precheck-junit.xml),
    C(precheck.md), C(precheck.html)), each atomically (a temporary file in the same directory, then renamed).
    The files of an earlier run are removed when the playbook starts. See the collection's C(docs/report.md)
    for every field and C(docs/precheck-report.schema.json) for the JSON Schema of C(precheck.json).
  - If the run is interrupted (Ctrl-C), the report of what is known is printed and written, marked as
    interrupted in every format; hosts that did not reach their gate are V(not_evaluated).
  - Only result dicts and the fact are read into the report, never module arguments or C(invocation).
  - A failure to render or write one format costs only that format; the host verdicts are then printed
    one line per host, with a warning naming the format.
author:
  - cloudbackup.precheck developers (@cloudbackup)
requirements:
  - Enable the callback with C(callbacks_enabled = cloudbackup.precheck.precheck_report) in the
    C([defaults]) section of C(ansible.cfg), or E(ANSIBLE_CALLBACKS_ENABLED).
options:
  output_dir:
    description:
      - The directory to write the report files to; it is created if missing.
      - When unset, no file is written and only the terminal report is printed.
      - Files of an earlier run in this directory are replaced.
    type: path
    ini:
      - section: callback_precheck_report
        key: output_dir
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_DIR
  formats:
    description:
      - The report files to write into O(output_dir).
      - V(json) writes C(precheck.json), the complete machine-readable report.
      - V(junit) writes C(precheck-junit.xml), one test suite per host and one test case per result,
        for CI systems.
      - V(markdown) writes C(precheck.md), for a ticket.
      - V(html) writes C(precheck.html), one self-contained page for a browser.
      - An unknown name is ignored with a warning that lists the valid names (it does not disable the
        callback, which would hide every verdict).
    type: list
    elements: str
    default: [json, junit, markdown, html]
    ini:
      - section: callback_precheck_report
        key: formats
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_FORMATS
  show_passed:
    description:
      - Also list, per check, how many targets passed on how many hosts in the terminal report.
      - The files always contain every result.
    type: bool
    default: false
    ini:
      - section: callback_precheck_report
        key: show_passed
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_SHOW_PASSED
  list_hosts:
    description:
      - List every host (verdict and counts) in the terminal report and in C(precheck.md).
      - By default hosts are listed up to a fleet of 20; beyond, ready hosts are counted and the hosts with
        findings are named under the findings (the HTML page always has every host).
    type: bool
    default: false
    ini:
      - section: callback_precheck_report
        key: list_hosts
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_LIST_HOSTS
  markdown_appendix:
    description:
      - Add every host with every result to C(precheck.md). Without it the file is bounded for any fleet
        (a few example targets per finding group), small enough for a ticket.
    type: bool
    default: false
    ini:
      - section: callback_precheck_report
        key: markdown_appendix
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_MARKDOWN_APPENDIX
  terminal_lines:
    description:
      - The most lines the terminal report prints (unless O(list_hosts) asks for every host). It shows as much
        detail as fits, from every target of every finding on a small fleet down to one line per finding group
        on a large one, and says where the rest is.
      - At least 40; a smaller value is replaced by the default, with a warning.
    type: int
    default: 180
    ini:
      - section: callback_precheck_report
        key: terminal_lines
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_TERMINAL_LINES
  examples:
    description:
      - How many example targets a finding group shows in the terminal report when not every target fits.
      - At least 0 (one line per group); a negative value is replaced by the default, with a warning.
    type: int
    default: 3
    ini:
      - section: callback_precheck_report
        key: examples
    env:
      - name: CLOUDBACKUP_PRECHECK_REPORT_EXAMPLES
notes:
  - Callbacks are loaded before the inventory, so these options cannot be set as variables.
  - The callback only renders. It cannot fail a play; the role's gate task does that.
  - Several playbooks in one C(ansible-playbook) command make one cumulative report, printed and written
    again after each playbook.
seealso:
  - module: cloudbackup.precheck.host_precheck
"""

import atexit
import os

from ansible.plugins.callback import CallbackBase

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import report


def task_event(result):
    """(host name, task name, result dict) of a task result: the public accessors of ansible-core
    2.19 and later (`host`, `result`), or the attributes that ansible-core 2.16 to 2.18 have."""
    if isinstance(getattr(type(result), "host", None), property):
        return result.host.get_name(), result.task_name, result.result
    return result._host.get_name(), result.task_name, result._result  # pylint: disable=protected-access


class CallbackModule(CallbackBase):
    """Feeds task events to the report collector and publishes the report at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "cloudbackup.precheck.precheck_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        # Set before the base class, which may already call set_options().
        self._formats = list(report.FORMATS)
        self._limits = {"terminal_lines": 180, "examples": 3}
        self._collector = report.Collector()
        self._running = False
        self._started = False
        self._pid = os.getpid()
        super(CallbackModule, self).__init__(display=display, options=options)
        # An interrupted run (Ctrl-C) ends without v2_playbook_on_stats; the interpreter's exit still
        # runs this, in the controller process only (workers leave through os._exit).
        atexit.register(self.on_exit)

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._formats, unknown = report.parse_formats(self.get_option("formats"))
        if unknown:
            self._display.warning("precheck_report: unknown report format(s) %s in 'formats' are ignored; "
                                  "valid formats: %s." % (", ".join(unknown), ", ".join(report.FORMATS)))
        self._limits = {}
        for option, lowest, default in (("terminal_lines", 40, 180), ("examples", 0, 3)):
            value = self.get_option(option)
            if value < lowest:
                self._display.warning("precheck_report: %s must be %d or more, got %d; %d is used." % (
                    option, lowest, value, default))
                value = default
            self._limits[option] = value

    def v2_playbook_on_start(self, playbook):
        self._running = True
        self._collector.playbooks.append(os.path.basename(getattr(playbook, "_file_name", None) or ""))
        output_dir = self.get_option("output_dir")
        if output_dir and not self._started:
            for path, exc in report.remove_previous(output_dir):
                self._display.warning("precheck_report: could not remove the earlier report %s (%s); it is not "
                                      "this run's." % (path, exc))
        self._started = True

    def v2_runner_on_ok(self, result):
        self._collector.task_ok(*task_event(result))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._collector.task_failed(*task_event(result), ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._collector.task_unreachable(*task_event(result))

    def v2_runner_on_skipped(self, result):
        self._collector.task_skipped(task_event(result)[0])

    def v2_playbook_on_stats(self, stats):
        # Hosts that ran nothing we saw (e.g. every task skipped by a condition) still get a line.
        for host in sorted(getattr(stats, "processed", {}) or {}):
            self._collector.seen(host)
        self._running = False
        self._publish()

    def on_exit(self):
        if not self._running or os.getpid() != self._pid:
            return
        self._running = False
        self._collector.interrupted = True
        self._publish()

    def _publish(self):
        report.publish(self._collector, self._display.display, self._display.warning,
                       output_dir=self.get_option("output_dir"), formats=self._formats,
                       show_passed=self.get_option("show_passed"), list_hosts=self.get_option("list_hosts"),
                       appendix=self.get_option("markdown_appendix"), max_lines=self._limits["terminal_lines"],
                       examples=self._limits["examples"])
