"""Stands in for the get-pip.py that ansible-test downloads from a host this machine cannot reach:
pip comes from ensurepip, the packages from the package index."""

import subprocess
import sys

IGNORED = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in IGNORED])
