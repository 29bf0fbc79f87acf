"""CLI: python -m hana_server SCENARIO [--port 0] [--port-file F] [--record F]; runs until SIGTERM/SIGINT."""
import sys

from server_cli import parser, serve_until_signalled

from .server import HanaServer


def main(argv=None):
    args = parser("python -m hana_server", __doc__).parse_args(argv)
    server = HanaServer(args.scenario, host=args.host, port=args.port, record_file=args.record).start()
    serve_until_signalled(server, args.port_file)  # ScenarioViolation (exit code 1) if HANA would have refused
    return 0


if __name__ == "__main__":
    sys.exit(main())
