# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file names inside an initramfs, read without unpacking it.

An initramfs is one or more cpio archives ("newc" format) one after another: often an uncompressed
one with CPU microcode, then the main one compressed. gzip, xz, lzma and bzip2 are read with the
standard library; zstd (Debian 12's default) and lz4 with this machine's `zstd` or `lz4`; without
them, `lsinitramfs` or `lsinitrd` list the archive. Everything is bounded by a deadline and a size."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bz2
import gzip
import lzma
import os
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

CPIO_MAGICS = (b"070701", b"070702")
HEADER = 110
MAX_BYTES = 2 * 1024 ** 3
MAX_NAMES = 500000
COMMAND_FORMATS = {b"\x28\xb5\x2f\xfd": ("zstd", ["zstd", "-dcq"]), b"\x02\x21\x4c\x18": ("lz4", ["lz4", "-dcq"])}


class Budget:
    def __init__(self, deadline, what):
        self.deadline = deadline
        self.what = what
        self.bytes = 0
        self.archives = 0

    def spend(self, count):
        self.bytes += count
        if self.bytes > MAX_BYTES:
            raise PrecheckError("internal", "%s is larger than %d GiB unpacked: not read." % (self.what, MAX_BYTES >> 30))
        if time.monotonic() > self.deadline:
            raise PrecheckError("timeout", "Reading %s did not finish within the time bound." % self.what,
                                "Raise timeout.")


def _read_exact(stream, size, budget):
    data = b""
    while len(data) < size:
        chunk = stream.read(min(size - len(data), 1 << 20))
        if not chunk:
            break
        budget.spend(len(chunk))
        data += chunk
    return data


def _pad(length):
    return (4 - length % 4) % 4


def read_cpio(stream, names, budget, first=b""):
    """The names of one newc archive from `stream` (its first bytes already read are `first`), up to its
    trailer. Returns False at the end of the stream."""
    pending = first
    while True:
        header = pending + _read_exact(stream, HEADER - len(pending), budget)
        pending = b""
        if len(header) < HEADER:
            return False
        if header[:6] not in CPIO_MAGICS:
            raise PrecheckError("internal", "%s is not a cpio archive where one was expected." % budget.what)
        filesize = int(header[54:62], 16)
        namesize = int(header[94:102], 16)
        name = _read_exact(stream, namesize + _pad(HEADER + namesize), budget)[:namesize].rstrip(b"\x00")
        if name == b"TRAILER!!!":
            budget.archives += 1
            return True
        names.append(name.decode("utf-8", "replace"))
        if len(names) > MAX_NAMES:
            raise PrecheckError("internal", "%s holds more than %d files: not read." % (budget.what, MAX_NAMES))
        skip = filesize + _pad(filesize)
        while skip:
            chunk = stream.read(min(skip, 1 << 20))
            if not chunk:
                return False
            budget.spend(len(chunk))
            skip -= len(chunk)


def _skip_zeros(handle):
    while True:
        byte = handle.read(1)
        if byte != b"\x00":
            return byte


def list_names(fs, real, what, deadline):
    """The names in the initramfs at `real` -> (names, how it was read)."""
    budget = Budget(deadline, what)
    names = []
    with open(real, "rb") as handle:
        while True:
            byte = _skip_zeros(handle)
            if not byte:
                return names, "cpio"
            magic = byte + handle.read(5)
            if magic in CPIO_MAGICS:
                if not read_cpio(handle, names, budget, first=magic):
                    return names, "cpio"
                continue
            handle.seek(-len(magic), 1)
            if magic[:2] == b"\x1f\x8b":
                return _decompressed(gzip.GzipFile(fileobj=handle), names, budget, "gzip")
            if magic[:6] == b"\xfd7zXZ\x00":
                return _decompressed(lzma.LZMAFile(handle), names, budget, "xz")
            if magic[:3] == b"\x5d\x00\x00":
                return _decompressed(lzma.LZMAFile(handle, format=lzma.FORMAT_ALONE), names, budget, "lzma")
            if magic[:3] == b"BZh":
                return _decompressed(bz2.BZ2File(handle), names, budget, "bzip2")
            if magic[:4] in COMMAND_FORMATS:
                return _with_command(fs, handle, real, magic[:4], names, budget)
            raise PrecheckError("internal", "%s has an unknown format (it starts with %r)." % (what, magic))


def _archives(stream, names, budget):
    """Every archive of a stream, the zeros that pad one archive from the next skipped."""
    first = b""
    while read_cpio(stream, names, budget, first=first):
        first = _skip_zeros(stream)
        if not first:
            return


def _decompressed(stream, names, budget, how):
    complete = budget.archives
    try:
        _archives(stream, names, budget)
    except (EOFError, OSError, lzma.LZMAError) as exc:
        # Padding after the compressed stream is not an error once its archive was read to the end.
        if budget.archives == complete:
            raise PrecheckError("internal", "%s is damaged (%s): %s." % (budget.what, how, exc))
    return names, how


def _with_command(fs, handle, real, magic, names, budget):
    fmt, argv = COMMAND_FORMATS[magic]
    command = fs.find_command(argv[0])
    if command:
        # The decompressor reads its own descriptor, placed where the compressed archive starts (the
        # buffered handle has read ahead of that point).
        fd = os.open(real, os.O_RDONLY)
        try:
            os.lseek(fd, handle.tell(), os.SEEK_SET)
            reader = fs.stream([command] + argv[1:] + ["-"], budget.deadline, MAX_BYTES, stdin=fd)
        finally:
            os.close(fd)
        try:
            _archives(reader, names, budget)
        finally:
            reader.close()
        return names, fmt
    for lister in ("lsinitramfs", "lsinitrd"):
        command = fs.find_command(lister)
        if command:
            code, out, err = fs.run([command, real])
            if code != 0:
                raise PrecheckError("internal", "%s %s failed (exit %d): %s" % (lister, real, code, err.strip()[:200]))
            return [line.split()[-1] for line in out.splitlines() if line.strip()], lister
    raise PrecheckError("driver_missing", "%s is compressed with %s, and neither %s, lsinitramfs nor lsinitrd is installed "
                        "on this machine." % (budget.what, fmt, fmt),
                        "Install %s (`apt-get install %s` or `yum install %s`)." % (fmt, fmt, fmt))
