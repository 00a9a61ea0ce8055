import base64
import hashlib
import hmac
import urllib.parse

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.filter.data import (
    FilterModule,
    pg_tune,
    redis_bytes,
    scram_sha256,
    scram_verifier,
    url_userinfo,
)


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
    assert set(FilterModule().filters()) == {"pg_tune", "redis_bytes", "url_userinfo", "scram_sha256"}


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("plain", "plain"),
        ("a/b+c=d", "a%2Fb%2Bc%3Dd"),
        ("p@ss:w?rd#x", "p%40ss%3Aw%3Frd%23x"),
        ("sp ace%", "sp%20ace%25"),
        ("-._~", "-._~"),
    ],
)
def test_url_userinfo_encodes_everything_but_unreserved_characters(value, encoded):
    assert url_userinfo(value) == encoded
    assert urllib.parse.unquote(url_userinfo(value)) == value


def test_url_userinfo_survives_a_url_parser():
    password = "HIUqWGaQ/aJEd9jX+WWA3s@Qmb:fr3n?sn8#wa="  # noqa: S105 - a test value
    url = urllib.parse.urlsplit(f"postgresql://app:{url_userinfo(password)}@db:6432/app")
    assert (urllib.parse.unquote(url.password), url.hostname, url.port, url.path) == (password, "db", 6432, "/app")


def test_url_userinfo_wants_a_string():
    with pytest.raises(AnsibleFilterError):
        url_userinfo(None)


def test_scram_verifier_authenticates_the_rfc_7677_exchange():
    """The server's side of RFC 7677's example, done with the verifier alone: the client's proof checks out
    against StoredKey and the server's signature is the RFC's."""
    verifier = scram_verifier(b"pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096)
    head, keys = verifier.split("$", 1)[1].split("$")
    assert head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth = f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}".encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.new(server_key, auth, hashlib.sha256).digest()
    assert base64.b64encode(server_signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_sha256_is_stable_per_password_and_role_and_never_holds_the_password():
    one = scram_sha256("app-Z5m2Wq8Jr4Kx7Np1Vt9Lc3Gs", "db1/app")
    assert one == scram_sha256("app-Z5m2Wq8Jr4Kx7Np1Vt9Lc3Gs", "db1/app")
    assert one != scram_sha256("app-Z5m2Wq8Jr4Kx7Np1Vt9Lc3Gs", "db1/readonly")
    assert one.split("$")[1] != scram_sha256("app-Z5m2Wq8Jr4Kx7Np1Vt9Lc3Gx", "db1/app").split("$")[1]
    assert "Z5m2Wq8" not in one and one.startswith("SCRAM-SHA-256$4096:")
    for bad in ("", "pässword-with-umlaut", "line\nbreak"):
        with pytest.raises(AnsibleFilterError, match="printable ASCII"):
            scram_sha256(bad, "db1/app")
