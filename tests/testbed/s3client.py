"""An S3 client on the controller for the scenarios' test S3 server (tests/testbed/playbooks/s3.yml)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
from botocore.config import Config


def s3_client(address: str, settings: dict):
    """boto3 against https://ADDRESS:8334 with the backup role's keys from SETTINGS and the scenario's CA."""
    return boto3.client(
        "s3",
        endpoint_url=f"https://{address}:8334",
        region_name="us-east-1",
        aws_access_key_id=settings["backup_s3_access_key"],
        aws_secret_access_key=settings["backup_s3_secret_key"],
        verify=str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "s3-ca.crt"),
        config=Config(s3={"addressing_style": "path"}),
    )
