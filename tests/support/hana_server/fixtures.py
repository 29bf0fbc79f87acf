"""pytest fixture: `hana_server(scenario)` starts a test server and stops it (checking violations)
at teardown. In a conftest.py: `from hana_server.fixtures import hana_server  # noqa: F401`."""
import pytest

from .server import HanaServer


@pytest.fixture
def hana_server():
    started = []

    def start(scenario=None, **options):
        server = HanaServer(scenario, **options).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()
