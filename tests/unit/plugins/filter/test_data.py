import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.filter.data import FilterModule, peer_addresses, pg_tune, redis_bytes

HOSTVARS = {
    "app1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "app2": {"shipshape_private_address": "10.1.0.12"},
    "db1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.5"}}},
    "bare": {},
}
GROUPS = {"app": ["app2", "app1", "db1"], "empty": [], "odd": ["bare"]}


def test_peer_addresses_are_sorted_and_leave_out_the_host_itself():
    assert peer_addresses("app", GROUPS, HOSTVARS, exclude=["db1"]) == ["10.0.0.11", "10.1.0.12"]


def test_peer_addresses_as_one_host_networks():
    hostvars = dict(HOSTVARS, v6={"shipshape_private_address": "fd00::7"})
    groups = {"app": ["app1", "v6"]}
    assert peer_addresses("app", groups, hostvars, cidr=True) == ["10.0.0.11/32", "fd00::7/128"]


def test_peer_addresses_of_an_unknown_or_empty_group_are_empty():
    assert peer_addresses("nope", GROUPS, HOSTVARS) == []
    assert peer_addresses("empty", GROUPS, HOSTVARS) == []


def test_peer_without_an_address_is_named():
    with pytest.raises(AnsibleFilterError, match="bare"):
        peer_addresses("odd", GROUPS, HOSTVARS)


def test_pg_tune_on_a_24_gib_two_cpu_host():
    s = pg_tune(24576, 2, 100, "ssd")
    assert s["shared_buffers"] == "6144MB"
    assert s["effective_cache_size"] == "18432MB"
    assert s["maintenance_work_mem"] == "1536MB"
    assert s["work_mem"] == f"{(24576 - 6144) * 1024 // 300}kB"
    assert s["wal_buffers"] == "16384kB"
    assert s["max_parallel_workers_per_gather"] == 1
    assert s["max_worker_processes"] == 8
    assert s["random_page_cost"] == 1.1
    assert s["max_connections"] == 100


def test_pg_tune_caps_maintenance_memory_and_scales_parallelism():
    s = pg_tune(131072, 16, 200, "hdd")
    assert s["maintenance_work_mem"] == "2048MB"
    assert s["max_parallel_workers_per_gather"] == 4
    assert s["max_parallel_workers"] == 16
    assert s["max_worker_processes"] == 16
    assert s["random_page_cost"] == 4.0
    assert s["effective_io_concurrency"] == 2


def test_pg_tune_small_host_keeps_a_floor_for_work_mem_and_wal_buffers():
    s = pg_tune(512, 1, 500)
    assert s["work_mem"] == "4096kB"
    assert s["wal_buffers"] == "3932kB"


@pytest.mark.parametrize(("args"), [(100, 2, 100, "ssd"), (4096, 0, 100, "ssd"), (4096, 2, 100, "nvme"), ("x", 2)])
def test_pg_tune_rejects_nonsense(args):
    with pytest.raises(AnsibleFilterError, match="pg_tune"):
        pg_tune(*args)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("0", 0),
        (0, 0),
        ("1048576", 1048576),
        ("512mb", 512 * 1024**2),
        ("2GB", 2 * 1024**3),
        ("100m", 10**8),
        ("1k", 1000),
    ],
)
def test_redis_bytes_uses_redis_units(size, expected):
    assert redis_bytes(size) == expected


@pytest.mark.parametrize("size", ["", "lots", "1.5gb", "-1", "1tb", True])
def test_redis_bytes_rejects_what_redis_would(size):
    with pytest.raises(AnsibleFilterError, match="redis_bytes"):
        redis_bytes(size)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"peer_addresses", "pg_tune", "redis_bytes"}
