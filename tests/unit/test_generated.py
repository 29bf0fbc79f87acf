"""The files derived from the declarations (modules, doc fragments, action groups, the role's task
file, defaults and argument specs, docs/checks.md, option tables) are what tools/generate.py writes."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generate(root, *args):
    return subprocess.run([sys.executable, os.path.join(root, "tools", "generate.py")] + list(args),
                          capture_output=True, text=True, check=False)


def test_every_derived_file_is_up_to_date():
    proc = generate(ROOT, "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_stale_derived_file_is_named(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "output", "__pycache__"))
    os.makedirs(copy / ".venv")
    os.symlink(os.path.join(ROOT, ".venv", "collections"), copy / ".venv" / "collections")
    module = copy / "plugins" / "modules" / "mysql_binlog.py"
    module.write_text(module.read_text().replace("Binary log enabled", "Binary log on"))
    (copy / "plugins" / "modules" / "mysql_gone.py").write_text("# an item that no longer exists\n")
    proc = generate(str(copy), "--check")
    assert proc.returncode == 1
    assert "plugins/modules/mysql_binlog.py" in proc.stdout and "plugins/modules/mysql_gone.py" in proc.stdout
