#!/usr/bin/env python3
"""The test hosts' apt archive cache, safe for hosts that install at the same time.

Each release has a pool of .deb files on the machine ($SHIPSHAPE_CACHE/apt/<image>).
A test host never mounts the pool itself: it gets a directory of its own
($SHIPSHAPE_CACHE/apt-hosts/<host>), seeded with hard links to every file in
the pool, so apt in each host has its own lock and its own partial/ directory
and two hosts (or two scenarios) installing at once cannot collide. When the
host goes, the packages it downloaded are linked back into the pool with
link(2), which is atomic and refuses to replace a file: the pool only ever
gains complete files (apt moves a download out of partial/ once it is
verified), and two hosts harvesting the same package at once both succeed.

    apt_cache.py seed HOST IMAGE      # prints the host's directory
    apt_cache.py harvest HOST IMAGE   # links new files into the pool, removes the host's directory

Only the standard library: this runs in the controller's Ansible tasks.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("SHIPSHAPE_CACHE") or Path.home() / ".cache" / "shipshape")


def pool_dir(image: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / "apt" / image


def host_dir(host: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / "apt-hosts" / host


def _link_debs(src: Path, dst: Path) -> int:
    """Hard-link every complete .deb of src into dst that dst lacks; the number linked."""
    linked = 0
    for deb in src.glob("*.deb"):
        try:
            os.link(deb, dst / deb.name)
            linked += 1
        except FileExistsError:
            pass
    return linked


def seed(host: str, image: str, root: Path | None = None) -> Path:
    pool, own = pool_dir(image, root), host_dir(host, root)
    pool.mkdir(parents=True, exist_ok=True)
    own.mkdir(parents=True, exist_ok=True)
    _link_debs(pool, own)
    return own


def harvest(host: str, image: str, root: Path | None = None) -> int:
    pool, own = pool_dir(image, root), host_dir(host, root)
    if not own.is_dir():
        return 0
    pool.mkdir(parents=True, exist_ok=True)
    linked = _link_debs(own, pool)
    shutil.rmtree(own, ignore_errors=True)
    return linked


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("seed", "harvest"):
        print(__doc__.strip().splitlines()[0], "\nusage: apt_cache.py seed|harvest HOST IMAGE", file=sys.stderr)
        return 2
    action, host, image = argv
    if action == "seed":
        print(seed(host, image))
    else:
        print(f"apt_cache: {harvest(host, image)} new package(s) from {host} in the {image} pool")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
