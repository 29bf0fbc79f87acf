"""Where the checkout is, for tests at any depth of tests/: its root, and the collections directory
under .venv through which the collection is importable as ansible_collections.cloudbackup.precheck."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".venv", "collections")
