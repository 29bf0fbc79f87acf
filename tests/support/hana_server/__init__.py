"""A SAP HANA test server for tests: the real hdbcli connects to it (SQL Command Network Protocol,
SCRAMSHA256 login), runs statements on the scenario's monitoring views and meets its faults.

    from hana_server import HanaServer
    with HanaServer({"users": [{"user": "BACKUP", "password": "S3cret!"}]}) as srv:
        ...  # dbapi.connect(address=srv.host, port=srv.port, ...); srv.records lists what arrived

See README.md in this directory for the scenario format.
"""
from .answers import SqlError
from .scenario import Scenario
from .server import HanaServer, ScenarioViolation

__all__ = ["HanaServer", "Scenario", "ScenarioViolation", "SqlError"]
