"""A fake Microsoft SQL Server (TDS 7.4) for tests: real pyodbc + FreeTDS connect to it.

    from tds_server import TdsServer
    with TdsServer({"queries": [{"match": "select 1", "columns": [{"name": "x", "type": "int"}], "rows": [[1]]}]}) as srv:
        ...  # connect to 127.0.0.1:srv.port; srv.records lists what arrived

See README.md in this directory for the scenario format.
"""
from .datatypes import Column
from .scenario import Scenario
from .server import ScenarioViolation, TdsServer, jsonable

__all__ = ["TdsServer", "Scenario", "Column", "ScenarioViolation", "jsonable"]
