"""Run the test server by hand: PYTHONPATH=tests/support python -m oss_server scenario.yml --port 0"""
import argparse
import logging
import signal
import threading

from .server import OssServer


def main():
    parser = argparse.ArgumentParser(prog="oss_server", description=__doc__)
    parser.add_argument("scenario", nargs="?")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with OssServer(args.scenario, port=args.port) as server:
        print(server.endpoint, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
