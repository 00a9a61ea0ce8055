import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("apt_cache", ROOT / "tests" / "testbed" / "apt_cache.py")
apt_cache = importlib.util.module_from_spec(spec)
sys.modules["apt_cache"] = apt_cache
spec.loader.exec_module(apt_cache)


def test_hosts_get_their_own_directory_seeded_from_the_pool(tmp_path):
    pool = apt_cache.pool_dir("debian12", tmp_path)
    pool.mkdir(parents=True)
    (pool / "curl_1_amd64.deb").write_bytes(b"deb")
    a = apt_cache.seed("h1", "debian12", tmp_path)
    b = apt_cache.seed("h2", "debian12", tmp_path)
    assert a != b
    # the same file, not a copy
    assert os.stat(a / "curl_1_amd64.deb").st_ino == os.stat(pool / "curl_1_amd64.deb").st_ino
    assert (b / "curl_1_amd64.deb").exists()


def test_harvest_keeps_complete_downloads_only_and_never_replaces(tmp_path):
    pool = apt_cache.pool_dir("debian12", tmp_path)
    pool.mkdir(parents=True)
    (pool / "old_1_all.deb").write_bytes(b"pool copy")
    own = apt_cache.seed("h1", "debian12", tmp_path)
    (own / "new_2_all.deb").write_bytes(b"new")
    (own / "partial").mkdir()
    (own / "partial" / "half_3_all.deb").write_bytes(b"ha")
    # a second host downloaded the same new package and harvested it first
    other = apt_cache.seed("h2", "debian12", tmp_path)
    (other / "new_2_all.deb").write_bytes(b"new")
    assert apt_cache.harvest("h2", "debian12", tmp_path) == 1
    assert apt_cache.harvest("h1", "debian12", tmp_path) == 0
    assert sorted(p.name for p in pool.iterdir()) == ["new_2_all.deb", "old_1_all.deb"]
    assert (pool / "old_1_all.deb").read_bytes() == b"pool copy"
    assert not own.exists() and not other.exists()
    assert apt_cache.harvest("gone", "debian12", tmp_path) == 0
