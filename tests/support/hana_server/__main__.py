"""CLI: python -m hana_server SCENARIO [--port 0] [--port-file F] [--record F]; runs until SIGTERM/SIGINT."""
import argparse
import datetime
import json
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
    record_file = open(args.record, "a", encoding="utf-8") if args.record else None

    def on_record(record):
        if record_file is not None:
            record_file.write(json.dumps(record, default=_text) + "\n")
            record_file.flush()  # tests read the file while the server still runs

    server = HanaServer(args.scenario, host=args.host, port=args.port, on_record=on_record).start()
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
    try:
        server.stop()  # raises ScenarioViolation (exit code 1) when HANA would have rejected something
    finally:
        if record_file is not None:
            record_file.close()
    return 0


def _text(value):
    """JSON for bound values json cannot write: timestamps as ISO text, bytes as hex."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError("not JSON serializable: %r" % (value,))


if __name__ == "__main__":
    sys.exit(main())
