"""Make the repository importable as ansible_collections.shipshape.server."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections"
link = COLLECTIONS / "ansible_collections" / "shipshape" / "server"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(Path("..") / ".." / "..")
sys.path.insert(0, str(COLLECTIONS))
