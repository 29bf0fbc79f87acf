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
