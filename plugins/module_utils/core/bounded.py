# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A call with a deadline, for the library calls that have none of their own or do not keep it
(getaddrinfo, a driver's login to a named instance, an SDK request that retries).

The call runs in a daemon thread; when the time is up we stop waiting and the thread is abandoned,
so a silent server costs one bound and never hangs the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading


class Abandoned(Exception):
    """The call did not finish within its bound; it may still finish later, unobserved."""

    def __init__(self, seconds):
        super(Abandoned, self).__init__("did not finish within %gs" % seconds)
        self.seconds = seconds


def call(function, seconds, on_late_result=None, name="cloudbackup-precheck-bounded"):
    """Run `function()` and return its value or raise its exception, waiting at most `seconds`.

    Raises Abandoned when the time is up. A value that arrives after that is handed to
    `on_late_result` (to close a connection nobody will use), exactly once, from the worker thread.
    """
    box = {}
    lock = threading.Lock()

    def work():
        try:
            value = function()
        except BaseException as exc:  # pylint: disable=broad-except
            with lock:
                box["error"] = exc
            return
        with lock:
            late = box.get("abandoned", False)
            box["value"] = value
        if late and on_late_result is not None:
            on_late_result(value)

    thread = threading.Thread(target=work, name=name)
    thread.daemon = True
    thread.start()
    thread.join(seconds)
    with lock:
        if "value" not in box and "error" not in box:
            box["abandoned"] = True
            raise Abandoned(seconds)
    if "error" in box:
        raise box["error"]
    return box["value"]


def close_quietly(resource):
    """An `on_late_result` for connections: close what nobody will use (closing a broken one may fail)."""
    try:
        resource.close()
    except Exception:  # pylint: disable=broad-except
        pass
