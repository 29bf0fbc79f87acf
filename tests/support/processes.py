"""Server processes the tests start (MariaDB, the vCenter simulator): each is killed at interpreter
exit (atexit) and, should the test process die without cleaning up, by the kernel (PR_SET_PDEATHSIG)."""

import atexit
import ctypes
import signal
import subprocess

PR_SET_PDEATHSIG = 1
_STARTED = []  # every process started here, for the atexit handler


def _die_with_parent():
    """Runs in the child before exec: the kernel kills the server if the test process dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def start(argv, **popen):
    """subprocess.Popen(argv, **popen) for a process that must not outlive the tests."""
    process = subprocess.Popen(argv, preexec_fn=_die_with_parent, **popen)
    _STARTED.append(process)
    return process


def _kill_all():
    for process in _STARTED:
        if process.poll() is None:
            process.kill()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                pass


atexit.register(_kill_all)
