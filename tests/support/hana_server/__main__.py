"""CLI: python -m hana_server SCENARIO [--port 0] [--port-file F] [--record F]; runs until SIGTERM/SIGINT."""
import argparse
import os
import signal
import sys
import threading

from .server import HanaServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hana_server", description=__doc__)
    parser.add_argument("scenario", nargs="?", help="YAML or JSON scenario file (none: any login, empty views)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--record", help="append every statement as a JSON line to this file")
    args = parser.parse_args(argv)
    server = HanaServer(args.scenario, host=args.host, port=args.port, record_file=args.record).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("%d\n" % server.port)
        os.replace(tmp, args.port_file)  # a reader polling for the file never sees it half-written
    print(server.port, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()  # raises ScenarioViolation (exit code 1) when HANA would have rejected something
    return 0


if __name__ == "__main__":
    sys.exit(main())
