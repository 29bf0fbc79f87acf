# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging several precheck.json files (AWX job slices, or runs of parts of a fleet) into one fleet
report. A host is counted once: when two files have the same host (the same slice given twice, or a
slice run again), the entry of the newer file is kept and the older one is named as replaced."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import uuid

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report import now_text
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_collect import finding_key
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_collect import normalize_results
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils.report_model import Report

# Layouts this code reads: 1 (results repeated in blocking/accepted) and 2 (indexes).
READABLE_VERSIONS = (1, 2)
HOST_KEYS = ("verdict", "reason", "gated", "results")


class MergeError(Exception):
    """A report file that cannot be merged; the message names the file and what is wrong."""


def expand(sources):
    """The files named by `sources` (paths or globs), in order, each once."""
    paths = []
    for source in sources:
        matches = sorted(glob.glob(os.path.expanduser(str(source))))
        if not matches:
            raise MergeError("src: %s matches no file" % source)
        for path in matches:
            path = os.path.abspath(path)
            if path not in paths:
                paths.append(path)
    return paths


def load(path):
    """A precheck.json document, checked enough to be merged."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise MergeError("%s: cannot be read as JSON (%s)" % (path, exc))
    if not isinstance(document, dict) or document.get("schema_version") not in READABLE_VERSIONS:
        raise MergeError("%s: not a precheck.json report (schema_version must be one of %s, got %r)" % (
            path, ", ".join(str(v) for v in READABLE_VERSIONS),
            document.get("schema_version") if isinstance(document, dict) else None))
    hosts = document.get("hosts")
    if not isinstance(hosts, dict):
        raise MergeError("%s: 'hosts' must be a mapping of host names to entries" % path)
    for name, entry in hosts.items():
        missing = [key for key in HOST_KEYS if not isinstance(entry, dict) or key not in entry]
        if missing:
            raise MergeError("%s: host %s lacks %s" % (path, name, ", ".join(missing)))
    return document


def _host_entry(entry):
    """A host entry in layout 2, its results checked as the callback checks them."""
    results = normalize_results([r if isinstance(r, dict) else {"status": None, "message": str(r)}
                                 for r in entry.get("results") or []])
    blocking = entry.get("blocking") or []
    accepted = entry.get("accepted") or []
    if any(isinstance(b, dict) for b in blocking) or any("index" not in a for a in accepted if isinstance(a, dict)):
        # Layout 1 repeated the results themselves: find them by what they say.
        position = dict((finding_key(r), i) for i, r in enumerate(results))
        blocking = [position[finding_key(b)] for b in blocking if isinstance(b, dict) and finding_key(b) in position]
        accepted = [{"index": position[finding_key(a)], "accepted_reason": str(a.get("accepted_reason") or "")}
                    for a in accepted if isinstance(a, dict) and finding_key(a) in position]
    else:
        blocking = [i for i in blocking if isinstance(i, int) and 0 <= i < len(results)]
        accepted = [{"index": a["index"], "accepted_reason": str(a.get("accepted_reason") or "")}
                    for a in accepted if isinstance(a.get("index"), int) and 0 <= a["index"] < len(results)]
    merged = {"verdict": entry["verdict"], "reason": str(entry.get("reason") or ""), "gated": bool(entry["gated"]),
              "run_id": entry.get("run_id"), "policy": entry.get("policy"), "results": results,
              "blocking": blocking, "accepted": accepted}
    if entry.get("reason_group"):
        merged["reason_group"] = str(entry["reason_group"])
    return merged


def merge(documents, now=None):
    """One Report of `documents` [(source, document)]; a host in several of them is taken from the
    newest (then the last given)."""
    chosen, origin = {}, {}
    slices = []
    for number, (source, document) in enumerate(documents):
        stamp = (str(document.get("generated_at") or ""), number)
        slices.append({"source": source, "run_id": str(document.get("run_id") or ""),
                       "generated_at": str(document.get("generated_at") or ""),
                       "hosts": len(document["hosts"]), "interrupted": bool(document.get("interrupted")),
                       "replaced_hosts": []})
        for name, entry in document["hosts"].items():
            if name in origin and origin[name][0] > stamp:
                slices[number]["replaced_hosts"].append(name)
                continue
            if name in origin:
                slices[origin[name][1]]["replaced_hosts"].append(name)
            origin[name] = (stamp, number)
            chosen[name] = entry
    for entry in slices:
        if not entry["replaced_hosts"]:
            del entry["replaced_hosts"]
    hosts = dict((name, _host_entry(entry)) for name, entry in chosen.items())
    run_ids = set(s["run_id"] for s in slices)
    playbooks = []
    for _source, document in documents:
        for playbook in str(document.get("playbook") or "").split(", "):
            if playbook and playbook not in playbooks:
                playbooks.append(playbook)
    return Report(hosts, run_id=run_ids.pop() if len(run_ids) == 1 and "" not in run_ids else str(uuid.uuid4()),
                  generated_at=now_text(now), playbook=", ".join(playbooks),
                  interrupted=any(s["interrupted"] for s in slices), merged_from=slices)


def merge_files(sources, now=None):
    """The merged Report of the files named by `sources` (paths or globs)."""
    paths = expand(sources)
    if not paths:
        raise MergeError("src: no precheck.json file given")
    return merge([(path, load(path)) for path in paths], now=now)
