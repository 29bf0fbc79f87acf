"""The role's benchmark (bench/role/run.py) works: its smallest configuration runs to the end and
prints its table with every comparison and numbers in every cell. Nothing here asserts a timing:
the load of the machine decides those, and the figures belong in bench/README.md."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUANTITY = re.compile(r"^\d+(\.\d+)? (s|ms|KB)$")
NUMBER = r"-?\d+\.\d\d"


def engine_modules():
    modules = os.path.join(ROOT, "plugins", "modules")
    utils = os.path.join(ROOT, "plugins", "module_utils")
    return sorted(name[:-len(".py")] for name in os.listdir(modules) if name.endswith("_precheck.py")
                  and os.path.isfile(os.path.join(utils, name[:-len("_precheck.py")], "engine.py")))


def expected_rows():
    rows = ["role against floor, host checks, 2 hosts",
            "role against floor, host checks + 1 SQL Server, 2 hosts",
            "hand-written against role, host checks + 1 SQL Server, 2 hosts",
            "role against module alone, 1 host, 1 databases",
            "role against module alone, 1 host, 10 databases",
            "black-holed host against healthy host (ratio: extra time / timeout of 1 s)",
            "silent server: accepts TCP, never answers (ratio: extra time / timeout of 1 s)"]
    for module in engine_modules():
        rows += ["payload size, %s against ping" % module, "import time, %s against ping" % module]
    return rows


def test_quick_benchmark_prints_every_row_with_numbers():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "role", "run.py"), "--quick"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("| B against A "))
    assert lines[header + 1].startswith("|---"), lines[header:header + 2]
    body = []
    for line in lines[header + 2:]:
        if not line.startswith("| "):
            break
        body.append(line)
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in body]
    assert [row[0] for row in rows] == expected_rows()
    for label, first, second, ratio, spread, pairs in rows:
        assert QUANTITY.match(first) and QUANTITY.match(second), (label, first, second)
        assert re.match("^%s$" % NUMBER, ratio), (label, ratio)
        low, high = re.match("^(%s) to (%s)$" % (NUMBER, NUMBER), spread).groups()
        assert float(low) <= float(ratio) <= float(high), (label, spread)
        assert pairs == "1", (label, pairs)
    assert re.search(r"^per further database \(medians\): 1->10: module -?\d+\.\d\d ms, role -?\d+\.\d\d ms$",
                     proc.stdout, re.MULTILINE)
    assert re.search(r"^run time: \d+ s$", proc.stdout, re.MULTILINE)
