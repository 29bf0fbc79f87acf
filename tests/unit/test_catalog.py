import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_docs_catalog_is_generated_from_the_registry():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "catalog.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
