"""CLI: python -m tds_server SCENARIO [--port 0] [--port-file F] [--record F]; runs until SIGTERM/SIGINT."""
import argparse
import json
import logging
import os
import signal
import sys
import threading

from .server import TdsServer, jsonable


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tds_server", description=__doc__)
    parser.add_argument("scenario", nargs="?", help="YAML or JSON scenario file (none: accept anything, answer empty)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--record", help="append every statement as a JSON line to this file")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s tds_server %(levelname)s %(message)s")

    record_file = open(args.record, "a", encoding="utf-8") if args.record else None

    def on_record(record):
        if record_file is not None:
            record_file.write(json.dumps(jsonable(record)) + "\n")
            record_file.flush()  # tests read the file while the server is still running

    server = TdsServer(args.scenario, host=args.host, port=args.port, on_record=on_record).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("%d\n" % server.port)
        os.replace(tmp, args.port_file)  # readers polling for the file never see it half-written
    print(server.port, flush=True)
    while not stop.wait(0.5):
        pass
    try:
        server.stop()  # raises ScenarioViolation (exit code 1) when the scenario answered what SQL Server would not
    finally:
        if record_file is not None:
            record_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
