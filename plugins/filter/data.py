# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the data tier: PostgreSQL tuning from the host's size, Redis sizes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: data
short_description: PostgreSQL tuning and Redis sizes
description:
  - C(pg_tune) derives PostgreSQL memory, parallelism, WAL and planner settings from the host's memory (MiB),
    CPU count, C(max_connections) and storage kind (C(ssd) or C(hdd)), in the spirit of PGTune's web profile.
  - C(redis_bytes) turns a Redis memory size (C(0), C(1048576), C(512mb), C(2gb), C(100m)) into bytes,
    with Redis's own units (C(k)=1000, C(kb)=1024, and so on).
  - C(url_userinfo) percent-encodes a user name or password for the C(user:password@) part of a URL, every
    character but letters, digits and C(-._~) (Jinja's C(urlencode) leaves C(/) as it is, which breaks a URL whose
    password came from C(openssl rand -base64)).
  - C(scram_sha256) computes, on the controller, the SCRAM-SHA-256 verifier PostgreSQL stores for a password
    (C(SCRAM-SHA-256$4096:salt$StoredKey:ServerKey), RFC 5802/7677), so only the verifier travels to the server and
    its statement log. The salt is derived from the password and the role name given as the argument (HMAC-SHA-256),
    so the same password gives the same verifier and a second run changes nothing; a new password gives a new salt.
    Passwords must be printable ASCII (PostgreSQL would SASLprep anything else).
positional: _input
options:
  _input:
    description: The memory in MiB (pg_tune) or the size (redis_bytes).
    type: raw
    required: true
"""

EXAMPLES = r"""
settings: "{{ ansible_facts.memtotal_mb | shipshape.server.pg_tune(ansible_facts.processor_vcpus, 100, 'ssd') }}"
bytes: "{{ '256mb' | shipshape.server.redis_bytes }}"
url: "postgresql://app:{{ postgres_app_password | shipshape.server.url_userinfo }}@db:6432/app"
verifier: "{{ postgres_app_password | shipshape.server.scram_sha256('db1/app') }}"
"""

RETURN = r"""
_value:
  description: A dict of PostgreSQL settings, a number of bytes, or an encoded string.
  type: raw
"""


def _mb(value: int) -> str:
    return f"{int(value)}MB"


def pg_tune(memory_mb, cpus, max_connections=100, storage="ssd"):
    """PostgreSQL settings for a host with memory_mb MiB and cpus CPUs."""
    try:
        mem, cpus, conns = int(memory_mb), int(cpus), int(max_connections)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"pg_tune: memory, CPUs and connections must be numbers ({exc})") from exc
    if mem < 256 or cpus < 1 or conns < 1:
        raise AnsibleFilterError(f"pg_tune: need at least 256 MiB, 1 CPU and 1 connection (got {mem}, {cpus}, {conns})")
    if storage not in ("ssd", "hdd"):
        raise AnsibleFilterError(f"pg_tune: storage is ssd or hdd, not {storage!r}")
    shared = mem // 4
    per_gather = min(4, max(1, cpus // 2))
    work_kb = max(4096, (mem - shared) * 1024 // (conns * 3) // per_gather)
    wal_kb = min(16384, max(64, shared * 1024 * 3 // 100))
    return {
        "max_connections": conns,
        "shared_buffers": _mb(shared),
        "effective_cache_size": _mb(mem * 3 // 4),
        "maintenance_work_mem": _mb(min(mem // 16, 2048)),
        "work_mem": f"{work_kb}kB",
        "wal_buffers": f"{wal_kb}kB",
        "min_wal_size": "1GB",
        "max_wal_size": "4GB",
        "checkpoint_timeout": "15min",
        "checkpoint_completion_target": 0.9,
        "default_statistics_target": 100,
        "random_page_cost": 1.1 if storage == "ssd" else 4.0,
        "effective_io_concurrency": 200 if storage == "ssd" else 2,
        "max_worker_processes": max(8, cpus),
        "max_parallel_workers": cpus,
        "max_parallel_workers_per_gather": per_gather,
        "max_parallel_maintenance_workers": per_gather,
    }


_REDIS_SIZE = re.compile(r"^([0-9]+)\s*(k|kb|m|mb|g|gb)?$", re.IGNORECASE)
_REDIS_UNITS = {None: 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def redis_bytes(value):
    """Bytes in a Redis memory size; raises on anything Redis would not accept."""
    if isinstance(value, bool):
        raise AnsibleFilterError(f"redis_bytes: not a size: {value!r}")
    match = _REDIS_SIZE.match(str(value).strip())
    if not match:
        raise AnsibleFilterError(f"redis_bytes: not a Redis size (such as 0, 512mb, 2gb): {value!r}")
    unit = match.group(2).lower() if match.group(2) else None
    return int(match.group(1)) * _REDIS_UNITS[unit]


def url_userinfo(value) -> str:
    """Percent-encode a URL's user or password: only unreserved characters (RFC 3986) stay as they are."""
    if not isinstance(value, str):
        raise AnsibleFilterError(f"url_userinfo wants a string, got {type(value).__name__}")
    return quote(value, safe="")


SCRAM_ITERATIONS = 4096


def scram_sha256(password, salt_context, iterations=SCRAM_ITERATIONS) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of password, with a salt derived from it and salt_context."""
    password, context = str(password), str(salt_context)
    if not password or not re.fullmatch(r"[\x20-\x7e]+", password):
        raise AnsibleFilterError("scram_sha256: the password must be non-empty printable ASCII")
    raw = password.encode()
    salt = hmac.new(raw, b"shipshape.server scram salt\0" + context.encode(), hashlib.sha256).digest()[:16]
    return scram_verifier(raw, salt, int(iterations))


def scram_verifier(raw: bytes, salt: bytes, iterations: int) -> str:
    """The verifier (RFC 5802 section 3) of a password's bytes and a salt, in pg_authid's form."""
    salted = hashlib.pbkdf2_hmac("sha256", raw, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


class FilterModule:
    def filters(self):
        return {
            "pg_tune": pg_tune,
            "redis_bytes": redis_bytes,
            "url_userinfo": url_userinfo,
            "scram_sha256": scram_sha256,
        }
