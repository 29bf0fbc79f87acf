"""The command line the SQL test servers share (python -m tds_server / hana_server): the options, and
serving until SIGTERM or SIGINT with the port printed and written to a port file."""
import argparse
import os
import signal
import threading


def parser(prog, description):
    """scenario, --host, --port, --port-file, --record."""
    options = argparse.ArgumentParser(prog=prog, description=description)
    options.add_argument("scenario", nargs="?", help="YAML or JSON scenario file (none: any login, empty answers)")
    options.add_argument("--host", default="127.0.0.1")
    options.add_argument("--port", type=int, default=0, help="0 picks a free port")
    options.add_argument("--port-file", help="write the port here once listening")
    options.add_argument("--record", help="append every statement as a JSON line to this file")
    return options


def serve_until_signalled(server, port_file=None):
    """Announce a started server's port, wait for SIGTERM or SIGINT, then stop it (its stop() may
    raise, which makes the exit code 1)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("%d\n" % server.port)
        os.replace(tmp, port_file)  # readers polling for the file never see it half-written
    print(server.port, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
