# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The context checks share during one run: options, the default target, memoized gathering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError


class Context:
    """What checks share during one run: options, the default target, memoized gathering."""

    def __init__(self, params, target, secrets=()):
        self.params = params
        self.target = target
        self.secrets = [s for s in secrets if s]
        self._cache = {}
        self._lock = threading.RLock()
        self.problems = {}  # optional data set key -> the PrecheckError that made it unavailable

    def cached(self, key, producer):
        """Gather once per run; a failure is remembered too, so a dead server is asked once."""
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = (producer(), None)
                except PrecheckError as exc:
                    self._cache[key] = (None, exc)
            value, exc = self._cache[key]
        if exc is not None:
            raise exc
        return value

    def optional(self, key, produce, unavailable_causes=("permission", "internal")):
        """The one way to say "this data could not be gathered": (value, None), or (None, reason)
        when `produce` raised a PrecheckError of one of `unavailable_causes` (no permission, no
        such view in this version, not configured); the error stays in `problems[key]` so that a
        judge can name the permission. Any other failure (a lost connection) still raises."""
        def wrapped():
            try:
                return produce(), None
            except PrecheckError as exc:
                if exc.cause in unavailable_causes:
                    self.problems[key] = exc
                    return None, exc.message
                raise
        return self.cached(("optional", key), wrapped)


def instance_target(endpoint, label=None):
    """What results of one instance name: its endpoint (`host:port`, `host\\INSTANCE`,
    `host:port/service`), after the user's label for it when one was given, so that two instances
    behind one name never collide and a report shows the name people use: `sales (db01:1433)`."""
    endpoint = str(endpoint)
    return "%s (%s)" % (label, endpoint) if label and label != endpoint else endpoint
