# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: collect task results per host (report_collect), build the one model every
format renders (report_model), and write precheck.json, precheck-junit.xml, precheck.md and
precheck.html and print the terminal report.

Everything here works on plain dicts, so that it is testable without Ansible's executor; the
callback `cloudbackup.precheck.precheck_report` only feeds events in and prints what comes out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import tempfile
import uuid

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import (
    report_collect, report_html, report_json, report_junit, report_model, report_text)
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_collect import host_entry
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import Report, verdict_label

# What the callback and the merge use of the parts, named here once.
Collector = report_collect.Collector
REPORT_SCHEMA_VERSION = report_model.REPORT_SCHEMA_VERSION

FORMATS = ("json", "junit", "markdown", "html")
FILE_NAMES = {"json": "precheck.json", "junit": "precheck-junit.xml", "markdown": "precheck.md",
              "html": "precheck.html"}
WIDTH = report_text.WIDTH


def now_text(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_report(collector, now=None):
    """The report model (the precheck.json document) of what the collector saw."""
    interrupted = collector.interrupted
    hosts = dict((name, host_entry(record, interrupted)) for name, record in collector.hosts.items())
    return Report(hosts, run_id=_run_id(hosts), generated_at=now_text(now), playbook=", ".join(collector.playbooks),
                  interrupted=interrupted)


def _run_id(hosts):
    """The facts' run id when every host with a fact agrees; otherwise a fresh one, because the
    report then mixes runs and must not claim to be either of them."""
    run_ids = set(entry["run_id"] for entry in hosts.values() if entry["run_id"])
    return run_ids.pop() if len(run_ids) == 1 else str(uuid.uuid4())


def render_json(report):
    return report_json.render_json(report)


def render_junit(report):
    return report_junit.render_junit(report)


def render_markdown(report, **options):
    return report_text.render_markdown(report, **options)


def render_html(report):
    return report_html.render_html(report)


def render_terminal(report, files=(), show_passed=False, **options):
    return report_text.render_terminal(report, files, show_passed, **options)


def render_verdicts(report):
    return report_text.render_verdicts(report)


def render_fallback_verdicts(collector):
    """Verdicts when even the report model could not be built: host by host, so one bad host
    costs only its own line."""
    lines = []
    for name in sorted(collector.hosts):
        try:
            entry = host_entry(collector.hosts[name], collector.interrupted)
            verdict = "%s (%s)" % (verdict_label(entry["verdict"]), entry["reason"])
        except Exception as exc:  # pylint: disable=broad-except
            verdict = "unknown: the report failed on this host (%s: %s)" % (type(exc).__name__, exc)
        lines.append("precheck verdict: %s: %s" % (name, verdict))
    return "\n".join(lines)


# Each renders one format in chunks (a string is one chunk), from the model and the options.
RENDERERS = {
    "json": lambda report, **options: report_json.iter_json(report),
    "junit": lambda report, **options: report_junit.iter_junit(report),
    "markdown": lambda report, list_hosts=False, appendix=False, **options: report_text.render_markdown(
        report, list_hosts=list_hosts, appendix=appendix),
    "html": lambda report, **options: report_html.iter_html(report),
}


def _file_mode():
    # mkstemp creates 0600; a report is meant to be read by others, as the umask allows.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path, chunks):
    """Write `chunks` (a string or an iterable of strings) through a temporary file in the same
    directory and rename it over `path`, so that a reader (or a crash) never sees half a report;
    the temporary file is removed on failure."""
    if isinstance(chunks, str):
        chunks = (chunks,)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", buffering=1 << 20) as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_reports(report, output_dir, formats, **options):
    """Each format on its own: one failing costs only that file. Returns (paths, failures)."""
    written, failures = [], []
    for fmt in formats:
        try:
            if not os.path.isdir(output_dir):
                os.makedirs(output_dir)
            path = os.path.join(output_dir, FILE_NAMES[fmt])
            write_atomic(path, RENDERERS[fmt](report, **options))
            written.append(path)
        except Exception as exc:  # pylint: disable=broad-except
            failures.append((fmt, exc))
    return written, failures


def remove_previous(output_dir):
    """Remove the report files of an earlier run before this one starts, so that a run that never
    finishes (killed, or its report failing) cannot leave files that look like its own. Returns the
    files that could not be removed, with why."""
    problems = []
    for name in FILE_NAMES.values():
        path = os.path.join(output_dir, name)
        try:
            if os.path.lexists(path):
                os.unlink(path)
        except OSError as exc:
            problems.append((path, exc))
    return problems


def parse_formats(value):
    """(known formats in order, unknown names): unknown names are reported, not fatal, because a
    callback that fails to load would hide every verdict."""
    names = value.split(",") if isinstance(value, str) else list(value or [])
    known, unknown = [], []
    for name in (str(n).strip().lower() for n in names):
        if not name:
            continue
        target = known if name in FORMATS else unknown
        if name not in target:
            target.append(name)
    return known, unknown


def publish_report(report, display, warn, output_dir=None, formats=FORMATS, show_passed=False, **options):
    """Write the files of a built report and print the terminal report. Whatever fails, the
    verdicts are printed: a failure costs its own format only, and a warning names it."""
    file_options = dict((k, options[k]) for k in ("list_hosts", "appendix") if k in options)
    written, failures = write_reports(report, output_dir, formats, **file_options) if output_dir else ([], [])
    terminal_options = dict((k, options[k]) for k in ("list_hosts", "max_lines", "examples") if k in options)
    try:
        display(render_terminal(report, written, show_passed, **terminal_options))
    except Exception as exc:  # pylint: disable=broad-except
        failures.append(("terminal", exc))
    if failures:
        display(render_verdicts(report))
        for fmt, exc in failures:
            warn("precheck_report: the %s report failed (%s: %s); the other formats are unaffected."
                 % (fmt, type(exc).__name__, exc))
    return report


def publish(collector, display, warn, output_dir=None, formats=FORMATS, show_passed=False, **options):
    """Build the report of a run and publish it (see publish_report)."""
    try:
        report = build_report(collector)
    except Exception as exc:  # pylint: disable=broad-except
        warn("precheck_report: could not build the report (%s: %s); the verdicts follow." % (type(exc).__name__, exc))
        display(render_fallback_verdicts(collector))
        return None
    return publish_report(report, display, warn, output_dir, formats, show_passed, **options)
