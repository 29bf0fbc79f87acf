"""What the SQL Server unit tests share: the module's options with their defaults, and sys.databases rows
as the context returns them."""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine as sqlserver_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import gathering as sqlserver_gathering


def params(**changes):
    values = dict((name, spec.get("default")) for name, spec in sqlserver_engine.ENGINE.argument_spec.items())
    values.update(changes)
    return values


def db(name, database_id=5, state="ONLINE", model="FULL", read_only=False, standby=False, source=None, **extra):
    row = {"name": name, "database_id": database_id, "state_desc": state, "recovery_model_desc": model,
           "is_read_only": read_only, "is_in_standby": standby, "source_database_id": source}
    row.update(extra)
    return sqlserver_gathering.normalize_database(row)
