# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OSS bucket engine: its options, their validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import bucket, inventory, objects
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import connection as oss_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.gathering import OssContext

# Bucket names: 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")

ARGS = dict(oss_conn.CONNECTION_ARGS)
ARGS.update(
    buckets=dict(type="list", elements="str", required=True, description=[
        "The buckets to check, by name; each bucket is a target of the results (V(oss://<bucket>))."]),
    use_inventory=dict(type="bool", default=True, description=[
        "The backup plan uses the buckets' OSS inventory (manifest) for incremental backups.",
        "V(false) skips the inventory items."]),
    inventory_id=dict(type="str", description=[
        "The inventory the backup plan uses. Not set: the enabled inventory with the newest manifest."]),
    sample_objects=dict(type="int", minimum=1, default=1000, description=[
        "How many objects a listing sample reads at most, when no recent inventory lists the storage classes."]),
    sample_seconds=dict(type="float", exclusive_minimum=0, maximum=86400, default=10.0, description=[
        "How long a listing sample, the reading of inventory files or the ACL sample may take per bucket, in seconds "
        "(a call under way is finished, within its own bound)."]),
    inventory_max_rows=dict(type="int", minimum=1, default=100000, description=[
        "How many rows of the newest inventory's CSV files are read at most per bucket."]),
)

DESCRIPTION = (
    "Checks that Alibaba Cloud OSS buckets can be backed up by Cloud Backup, through the OSS SDK for Python "
    "(alibabacloud-oss-v2) with an AccessKey or an STS token, read-only. Each bucket is a target.",
    "Every API call is bounded by O(connect_timeout) + O(read_timeout), DNS lookup included, and tried once; "
    "listing samples are bounded by O(sample_objects) and O(sample_seconds). An endpoint that cannot be reached is "
    "an V(error) result, not a failed task.",
)

REQUIREMENTS = (
    "alibabacloud-oss-v2 (C(pip install alibabacloud-oss-v2)) for the Python interpreter that runs the module. "
    "Without it every check is an V(error) with cause V(driver_missing).",
)

NOTES = (
    "Only read operations are called: GetBucketInfo, ListBucketInventory, ListObjectsV2, GetObject (manifest.json "
    "and the inventory CSV files) and GetObjectAcl. The RAM actions they need are oss:GetBucketInfo, "
    "oss:GetBucketInventory, oss:ListObjects, oss:GetObject and oss:GetObjectAcl; an AccessDenied names the "
    "missing one.",
    "A failure is classified as V(dns), V(refused), V(timeout), V(tls), V(unreachable), V(permission), "
    "V(login_failed) (signature, AccessKey or clock errors) or V(protocol); a bucket that does not exist is the "
    "V(failed) result of C(oss.connection), and the other checks of that bucket say C(Not run).",
    "The options can be set once for every OSS module with C(module_defaults) and the action group "
    "C(group/cloudbackup.precheck.oss).",
)

EXAMPLES = r"""
- name: Check two buckets of Hangzhou through the internal endpoint, as a backup gateway would
  cloudbackup.precheck.oss_precheck:
    region: cn-hangzhou
    internal_endpoint: true
    access_key_id: "{{ vault_oss_access_key_id }}"
    access_key_secret: "{{ vault_oss_access_key_secret }}"
    buckets: [sales-data, sales-logs]
    backup_interval_hours: 24
    last_backup_time: "2026-12-01T02:00:00Z"
  register: oss_checks

- name: With an STS token, only the storage classes, and fail on a blocking finding
  cloudbackup.precheck.oss_precheck:
    region: cn-shanghai
    access_key_id: "{{ sts.access_key_id }}"
    access_key_secret: "{{ sts.access_key_secret }}"
    security_token: "{{ sts.security_token }}"
    buckets: [media]
    checks: ["@storage_class"]
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""


def validate(params):
    problems = oss_conn.validate_connection(params)
    names = params.get("buckets") or []
    if not names:
        problems.append("buckets: give at least one bucket name")
    for name in names:
        if not _BUCKET_NAME.match(name or ""):
            problems.append("buckets: %r is not a bucket name (3 to 63 lower-case letters, digits and hyphens, "
                            "starting and ending with a letter or digit)" % (name,))
    if params.get("last_backup_time"):
        try:
            inventory.parse_time(params["last_backup_time"])
        except ValueError:
            problems.append("last_backup_time: %r is not an ISO 8601 time (valid forms: 2026-12-01T02:00:00Z, "
                            "2026-12-01 10:00+08:00)" % params["last_backup_time"])
    return problems


def oss_context(params):
    return OssContext(params)


ENGINE = Engine("oss", ARGS, oss_context, validate=validate, items=(bucket, inventory, objects),
                title="Alibaba Cloud OSS", description=DESCRIPTION, examples=EXAMPLES,
                requirements=REQUIREMENTS, notes=NOTES, instances="oss_buckets")
