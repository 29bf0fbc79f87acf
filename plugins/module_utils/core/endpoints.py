# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance's fixed TCP endpoint, read from its options by its engine's declaration: by the
modules (core.module) and by the controller (the filter instance_endpoints), the same way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def endpoint_text(host, port):
    """`host:port`, with an IPv6 address in brackets."""
    host = str(host)
    return "[%s]:%s" % (host, port) if ":" in host and not host.startswith("[") else "%s:%s" % (host, port)


def endpoint_of(params, spec):
    """The `host:port` an instance is reached at over TCP, by its engine's endpoint declaration
    (`host`, `port` and their defaults; `without`: options that make it another kind of address, a
    DSN or a socket; `needs_port`: options that without a port mean a lookup, a named instance), or
    None when it is not a fixed TCP endpoint."""
    if any(params.get(option) for option in spec.get("without", ())):
        return None
    port = params.get(spec["port"])
    if port is None:
        if any(params.get(option) for option in spec.get("needs_port", ())):
            return None
        port = spec.get("default_port")
    host = params.get(spec["host"]) or spec.get("default_host")
    return endpoint_text(host, port) if host and port is not None else None
