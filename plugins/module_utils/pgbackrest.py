# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading pgBackRest's state: its configuration, `info --output=json`, WAL names and the S3 repository layout.

Pure functions, so that the module's decisions can be unit-tested with fixtures.
"""

from __future__ import annotations

import configparser
import json
import re

WAL_SEGMENT = re.compile(r"^[0-9A-F]{24}$")
DURATION = re.compile(r"^([0-9]+)\s*(s|m|h|d|w)?$")
UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class BackupProblem(Exception):
    """A check failed; the message names the stanza or backup label and the check."""


def seconds(value) -> int:
    """'26h' -> 93600; an int passes through."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = DURATION.match(str(value).strip())
    if not match:
        raise ValueError(f"not a duration (such as 90s, 30m, 26h, 8d): {value!r}")
    return int(match.group(1)) * UNITS[match.group(2)]


def read_config(text: str, stanza: str) -> dict[str, str]:
    """The options that apply to a stanza: [global] overlaid by [stanza]."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(text)
    options = dict(parser["global"]) if parser.has_section("global") else {}
    if parser.has_section(stanza):
        options.update(parser[stanza])
    return options


def s3_settings(options: dict[str, str], repo: int = 1) -> dict[str, str]:
    """Endpoint, bucket, credentials and paths of an S3 repository, from pgbackrest.conf options."""
    prefix = f"repo{repo}-"
    if options.get(prefix + "type") != "s3":
        raise BackupProblem(f"repo{repo} is not an S3 repository (repo{repo}-type={options.get(prefix + 'type')})")
    port = options.get(prefix + "storage-port", "443")
    return {
        "endpoint": f"https://{options[prefix + 's3-endpoint']}:{port}",
        "bucket": options[prefix + "s3-bucket"],
        "region": options.get(prefix + "s3-region", "us-east-1"),
        "access_key": options[prefix + "s3-key"],
        "secret_key": options[prefix + "s3-key-secret"],
        "path": options.get(prefix + "path", "/").strip("/"),
        "ca_file": options.get(prefix + "storage-ca-file", ""),
        "path_style": options.get(prefix + "s3-uri-style", "host") == "path",
    }


def parse_info(text: str, stanza: str) -> dict:
    """The stanza's entry in `pgbackrest info --output=json` (which exits 0 even when the stanza is in error)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BackupProblem(f"pgbackrest info did not return JSON: {exc}") from exc
    for entry in data if isinstance(data, list) else []:
        if entry.get("name") == stanza:
            return entry
    raise BackupProblem(f"stanza {stanza}: not in pgbackrest info")


def stanza_status(info: dict) -> None:
    status = info.get("status") or {}
    if status.get("code") != 0:
        raise BackupProblem(f"stanza {info.get('name')}: status {status.get('code')} ({status.get('message')})")


def newest_backup(info: dict) -> dict:
    backups = [b for b in info.get("backup") or [] if not b.get("error")]
    if not backups:
        raise BackupProblem(f"stanza {info.get('name')}: no valid backup")
    return max(backups, key=lambda b: b["timestamp"]["stop"])


def check_age(backup: dict, now: float, max_age: int) -> int:
    age = int(now - backup["timestamp"]["stop"])
    if age > max_age:
        raise BackupProblem(f"backup {backup['label']}: newest backup is {age} s old, more than max_age {max_age} s")
    return age


def archive_id(info: dict, backup: dict) -> str:
    """The archive id (for example 15-1) that holds the backup's WAL."""
    db_id = (backup.get("database") or {}).get("id")
    for archive in info.get("archive") or []:
        if (archive.get("database") or {}).get("id") == db_id:
            return archive["id"]
    raise BackupProblem(f"backup {backup['label']}: no WAL archive for database id {db_id}")


def archive_max(info: dict, archive: str) -> str | None:
    for entry in info.get("archive") or []:
        if entry.get("id") == archive:
            return entry.get("max")
    return None


def next_segment(name: str, segments_per_log: int = 256) -> str:
    """The WAL segment after name (16 MiB segments: 256 per log file)."""
    timeline, log, seg = int(name[:8], 16), int(name[8:16], 16), int(name[16:], 16)
    seg += 1
    if seg >= segments_per_log:
        log, seg = log + 1, 0
    return f"{timeline:08X}{log:08X}{seg:08X}"


def wal_range(start: str, stop: str, limit: int = 100000) -> list[str]:
    """Every segment from start to stop, both included, on start's timeline."""
    if not (WAL_SEGMENT.match(start) and WAL_SEGMENT.match(stop)):
        raise BackupProblem(f"not WAL segment names: {start}, {stop}")
    out, name = [start], start
    while name[8:] < stop[8:] and len(out) < limit:
        name = next_segment(name)
        out.append(name)
    return out


def segments_in(keys: list[str]) -> set[str]:
    """WAL segment names among repository keys (archive/STANZA/ID/TTTTTTTTLLLLLLLL/SEGMENT-sha1[.ext])."""
    names = set()
    for key in keys:
        base = key.rsplit("/", 1)[-1]
        if WAL_SEGMENT.match(base[:24]) and (len(base) == 24 or base[24] == "-"):
            names.add(base[:24])
    return names


def missing_wal(backup: dict, max_segment: str | None, present: set[str]) -> list[str]:
    """Segments the repository lacks from the backup's first WAL to the newest archived one.

    Past a timeline switch (after a point-in-time restore) only the backup's own WAL is checked.
    """
    start, stop = backup["archive"]["start"], backup["archive"]["stop"]
    if max_segment and max_segment[:8] == start[:8] and max_segment > stop:
        stop = max_segment
    return [s for s in wal_range(start, stop) if s not in present]


def backup_files_problem(label: str, keys: list[str]) -> str | None:
    """A backup's directory must hold its manifest and data files."""
    names = {k.rsplit("/", 1)[-1] for k in keys}
    if "backup.manifest" not in names:
        return f"backup {label}: backup.manifest is missing from the repository"
    if not any("/pg_data/" in k for k in keys):
        return f"backup {label}: no pg_data files in the repository"
    return None


VERIFY_FILE = re.compile(r"INFO: (file missing|invalid checksum|invalid size|invalid result)[^']*'([^']+)'")
VERIFY_COUNT = re.compile(r"^\s+(missing|checksum invalid|size invalid|other): ([0-9]+)\s*$", re.MULTILINE)


def verify_problem(label: str, rc: int, report: str) -> str | None:
    """What `pgbackrest verify` found wrong with a backup (it exits 0 when it finds files missing or corrupt)."""
    files = [f"{kind} {path}" for kind, path in VERIFY_FILE.findall(report)]
    counts = [f"{kind}: {n}" for kind, n in VERIFY_COUNT.findall(report) if n != "0"]
    if rc == 0 and not files and not counts and "status: error" not in report and "status: invalid" not in report:
        return None
    detail = "; ".join(counts + files[:3]) or " | ".join(line.strip() for line in report.splitlines()[-3:])
    return f"backup {label}: pgbackrest verify found the backup invalid: {detail}"


DRILL_MARGIN = 1.1


def space_problem(label: str, size: int, free: int, where: str) -> str | None:
    """A restore needs the backup's full size (and 10% more) free where it lands; refuse before writing anything."""
    need = int(size * DRILL_MARGIN)
    if free >= need:
        return None
    return (
        f"backup {label}: the drill needs {need // 2**20} MiB (the backup's size and 10%) on {where}, "
        f"which has {free // 2**20} MiB free; nothing was restored"
    )
