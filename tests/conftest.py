"""Makes the collection importable as ansible_collections.cloudbackup.precheck, and the test support
code (test servers) importable by name."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".venv", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "cloudbackup", "precheck")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, "tests", "functional")):
    if path not in sys.path:
        sys.path.insert(0, path)
