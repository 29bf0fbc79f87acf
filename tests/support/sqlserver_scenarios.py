"""The SQL Server functional scenarios (tests/functional/sqlserver/scenarios/<name>.yml) as specs
for the TDS test server, with the one login it accepts."""

import os

import yaml

from checkout import ROOT

DIRECTORY = os.path.join(ROOT, "tests", "functional", "sqlserver", "scenarios")


def scenario(name, user, password):
    with open(os.path.join(DIRECTORY, name + ".yml")) as handle:
        spec = yaml.safe_load(handle)
    spec["logins"] = [{"user": user, "password": password}]
    return spec
