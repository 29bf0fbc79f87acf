# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""govmomi's vCenter simulator for the tests, built from Debian's sources by our own main.go.

    with Vcsim(tmpdir, users={"administrator@vsphere.local": "pw"}) as sim:
        content = sim.login("administrator@vsphere.local", "pw")    # pyvmomi, for test setup only
        ...
    assert not sim.running()

The binary is built once into a cache directory (keyed by main.go and the Go version), about 30 s
the first time. The simulator listens on 127.0.0.1 only, with TLS; it exits when its standard input
closes, on stop(), at interpreter exit, and (PR_SET_PDEATHSIG) when the test process dies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import select
import shutil
import ssl
import subprocess
import time

import processes

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "main.go")
GOPATH = "/usr/share/gocode"
DEBIANS = ("golang-go", "golang-github-vmware-govmomi-dev")


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudbackup-precheck", "vcsim")


def _go():
    return shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)


def build():
    """The simulator binary, built when missing (scripts/setup.sh --test installs Go and govmomi)."""
    go = _go()
    if go is None or not os.path.isdir(os.path.join(GOPATH, "src", "github.com", "vmware", "govmomi", "simulator")):
        raise RuntimeError("Go or govmomi's sources are missing: run `bash scripts/setup.sh --test` (it installs the "
                           "Debian packages %s)" % " ".join(DEBIANS))
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    with open(SOURCE, "rb") as handle:
        key = hashlib.sha1(handle.read() + version.encode()).hexdigest()[:12]
    directory = os.path.join(cache_dir(), key)
    binary = os.path.join(directory, "vcsim")
    if os.path.isfile(binary):
        return binary
    os.makedirs(directory, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOCACHE=os.path.join(cache_dir(), "gocache"),
               GOFLAGS="")
    partial = binary + ".%d" % os.getpid()
    result = subprocess.run([go, "build", "-o", partial, SOURCE], env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError("building the vCenter simulator failed:\n%s" % result.stderr[-4000:])
    os.replace(partial, binary)  # atomic: a parallel build never sees half a binary
    return binary


class Vcsim:
    """One simulated vCenter (or, with esx=True, a standalone ESXi host) on 127.0.0.1."""

    def __init__(self, workdir, users=None, version="7.0.3", esx=False, vms=2, hosts=3, host_names=(),
                 cert=None, key=None):
        self.workdir = str(workdir)
        self.users = dict(users or {})
        self.args = ["-version", version, "-vm", str(vms), "-host", str(hosts)]
        if esx:
            self.args.append("-esx")
        for name, password in self.users.items():
            self.args += ["-user", "%s:%s" % (name, password)]
        for name in host_names:
            self.args += ["-host-name", name]
        if cert:
            self.args += ["-cert", str(cert), "-key", str(key)]
        self.process = None
        self.port = None
        self.log = os.path.join(self.workdir, "vcsim.log")

    def start(self, timeout=60):
        binary = build()
        log = open(self.log, "ab")
        try:
            self.process = processes.start([binary] + self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log)
        finally:
            log.close()
        ready, _w, _x = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            with open(self.log) as handle:
                raise RuntimeError("the vCenter simulator did not start:\n%s" % handle.read()[-4000:])
        self.port = int(json.loads(line)["port"])
        return self

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.stdin.close()  # main.go exits when its input closes
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.stdout.close()

    def running(self):
        return self.process is not None and self.process.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def login(self, user, password):
        """A pyvmomi ServiceContent logged in as `user`: the tests' own way to change the inventory
        through the real vSphere API (the collection never changes anything)."""
        from pyVmomi import SoapAdapter, vim  # pylint: disable=import-outside-toplevel
        stub = SoapAdapter.SoapStubAdapter(host="127.0.0.1", port=self.port, version="vim.version.version11",
                                           sslContext=ssl._create_unverified_context(),  # pylint: disable=W0212
                                           httpConnectionTimeout=30)
        content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
        content.sessionManager.Login(user, password)
        return content


def wait(task, timeout=30):
    """Wait for a vSphere task; raise its error."""
    deadline = time.monotonic() + timeout
    while task.info.state in ("queued", "running"):
        if time.monotonic() > deadline:
            raise RuntimeError("task %s did not finish in %ds" % (task.info.descriptionId, timeout))
        time.sleep(0.02)
    if task.info.state != "success":
        raise task.info.error
    return task.info.result
