"""CLI: python -m tds_server SCENARIO [--port 0] [--port-file F] [--record F]; runs until SIGTERM/SIGINT."""
import json
import logging
import sys

from server_cli import parser, serve_until_signalled

from .server import TdsServer, jsonable


def main(argv=None):
    options = parser("python -m tds_server", __doc__)
    options.add_argument("--log-level", default="WARNING")
    args = options.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s tds_server %(levelname)s %(message)s")

    record_file = open(args.record, "a", encoding="utf-8") if args.record else None

    def on_record(record):
        if record_file is not None:
            record_file.write(json.dumps(jsonable(record)) + "\n")
            record_file.flush()  # tests read the file while the server is still running

    server = TdsServer(args.scenario, host=args.host, port=args.port, on_record=on_record).start()
    try:
        # stop() raises ScenarioViolation (exit code 1) when the scenario answered what SQL Server would not
        serve_until_signalled(server, args.port_file)
    finally:
        if record_file is not None:
            record_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
