# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the role's own input that no engine module can make: skip entries that no engine would
receive, and control characters in endpoints, names and paths. Each problem names the variable,
the entry and the valid values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import catalog, gate

PREFIX = "cloudbackup_precheck_"
# A newline, tab or any other control character turns one endpoint or name into something else
# (two lines of a log, a different host name, a name that no server has).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def skip_problems(skip):
    """The role passes each engine the skip entries of its prefixes: an entry that matches no check
    id would silently reach no engine."""
    return [gate.unknown_check("%sskip[%d]" % (PREFIX, index), entry)
            for index, entry in enumerate(skip or []) if entry not in catalog.CHECK_IDS]


def _control_problems(where, value):
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found:
            return ["%s: %r contains the control character %r; endpoints, names and paths are one line of printable "
                    "characters" % (where, value, found.group(0))]
        return []
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _control_problems("%s[%d]" % (where, index), item)]
    return []


def control_character_problems(variable):
    """`variable(name)` gives the value of the role variable `cloudbackup_precheck_<name>` (templated),
    or None. Secret options are never read."""
    problems = []
    for engine in catalog.ENGINES.values():
        secrets = set(engine["secrets"])
        if engine["instances"] is None:
            for name in engine["variables"]:
                if name not in secrets:
                    problems += _control_problems(PREFIX + name, variable(name))
            continue
        entries = variable(engine["instances"])
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            for key, value in entry.items():
                if key not in secrets:
                    problems += _control_problems("%s%s[%d].%s" % (PREFIX, engine["instances"], index, key), value)
    return problems
