#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Hand-written until tools/generate.py (architecture stage B) generates the engine modules.
DOCUMENTATION = r"""
module: oss_precheck
short_description: Run the OSS bucket check items of a backup precheck in one task
version_added: 0.1.0
description:
  - Checks that Alibaba Cloud OSS buckets can be backed up by Cloud Backup, through the OSS SDK for Python
    (alibabacloud-oss-v2) with an AccessKey or an STS token, read-only.
  - Runs a selection of the items C(oss.connection), C(oss.bucket_storage_class), C(oss.cloudbox),
    C(oss.inventory_configured), C(oss.inventory_fresh), C(oss.inventory_since_last_backup),
    C(oss.interval_vs_inventory), C(oss.object_storage_classes) and C(oss.object_acl). Each bucket is a target.
  - Every API call is bounded by O(connect_timeout) + O(read_timeout) and tried once; listing samples are bounded
    by O(sample_objects) and O(sample_seconds). An endpoint that cannot be reached is an V(error) result, not a
    failed task.
requirements:
  - alibabacloud-oss-v2 (Python) on the host that runs the module.
author:
  - cloudbackup.precheck developers (@cloudbackup)
options:
  access_key_id:
    description:
    - The AccessKey id of the RAM user (or the temporary id of an STS token) that reads the buckets.
    type: str
  access_key_secret:
    description:
    - The AccessKey secret that goes with O(access_key_id). Keep it in Ansible Vault; it never appears in any output,
      report or fact.
    type: str
  acl_sample_objects:
    default: 100
    description:
    - How many objects of the listing sample C(oss.object_acl) asks GetObjectAcl for, when the inventory has no ObjectAcl
      field; all within O(sample_seconds).
    type: int
  backup_interval_hours:
    description:
    - The planned interval between two backups of these buckets, in hours (V(24) for a daily plan).
    - 'Not set: C(oss.interval_vs_inventory) is skipped.'
    type: float
  buckets:
    description:
    - The buckets to check, by name; each bucket is a target of the results (V(oss://<bucket>)).
    elements: str
    required: true
    type: list
  ca_path:
    description:
    - A PEM bundle of CA certificates to verify the endpoint with, instead of the system's.
    type: path
  cloudbox_id:
    description:
    - The CloudBox id (V(cb-...)) when the buckets are OSS on CloudBox buckets; requests are then signed for CloudBox.
      Such buckets cannot be backed up by Cloud Backup (C(oss.cloudbox)).
    type: str
  connect_timeout:
    default: 5.0
    description:
    - Seconds to wait for the TCP and TLS connection of each API call.
    type: float
  endpoint:
    description:
    - 'The OSS endpoint: a host (V(oss-cn-hangzhou.aliyuncs.com)), V(host:port), or a URL with its scheme (V(https://oss-cn-hangzhou-internal.aliyuncs.com),
      V(http://127.0.0.1:9000)).'
    - Without it, the public (or, with O(internal_endpoint), the internal) endpoint of O(region) is used.
    type: str
  internal_endpoint:
    default: false
    description:
    - Use the region's internal endpoint (V(oss-<region>-internal.aliyuncs.com)) when O(endpoint) is not set, as a
      backup gateway inside Alibaba Cloud does.
    type: bool
  inventory_id:
    description:
    - 'The inventory the backup plan uses. Not set: the enabled inventory with the newest manifest.'
    type: str
  inventory_max_rows:
    default: 100000
    description:
    - How many rows of the newest inventory's CSV files are read at most per bucket.
    type: int
  label:
    description:
    - A name for this set of buckets (the role passes the entry's C(name)); targets read V(<label> (oss://<bucket>)).
    type: str
  last_backup_time:
    description:
    - When the last backup of these buckets ran (ISO 8601, such as V(2026-12-01T02:00:00Z) or V(2026-12-01 10:00+08:00);
      without a zone, UTC).
    - 'Not set: C(oss.inventory_since_last_backup) is skipped.'
    type: str
  path_style:
    default: false
    description:
    - Address buckets path-style (V(endpoint/bucket/key)) instead of virtual-hosted (V(bucket.endpoint/key)). An endpoint
      that is an IP address is always path-style.
    type: bool
  read_timeout:
    default: 10.0
    description:
    - Seconds to wait for each answer. Every call is bounded by O(connect_timeout) + O(read_timeout), DNS lookup included,
      and is tried once.
    type: float
  region:
    description:
    - The region id of the buckets, such as V(cn-hangzhou); V4 signatures are scoped to it.
    - May be left out when O(endpoint) is a region endpoint such as V(oss-cn-hangzhou.aliyuncs.com).
    type: str
  sample_objects:
    default: 1000
    description:
    - How many objects a listing sample reads at most, when no recent inventory lists the storage classes.
    type: int
  sample_seconds:
    default: 10.0
    description:
    - How long a listing sample, the reading of inventory files or the ACL sample may take per bucket, in seconds
      (a call under way is finished, within its own bound).
    type: float
  security_token:
    description:
    - The STS security token, when O(access_key_id) and O(access_key_secret) are temporary STS credentials.
    type: str
  use_inventory:
    default: true
    description:
    - The backup plan uses the buckets' OSS inventory (manifest) for incremental backups.
    - V(false) skips the inventory items.
    type: bool
  validate_certs:
    default: true
    description:
    - Verify the endpoint's TLS certificate.
    type: bool
extends_documentation_fragment:
  - cloudbackup.precheck.selection
  - cloudbackup.precheck.results
"""

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

- name: With an STS token, only the storage classes
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

RETURN = r"""
check_results:
  description:
    - One result per check item and bucket, in the collection's result schema (C(docs/results.md)); every field is
      described in M(cloudbackup.precheck.host_precheck). The target is V(oss://<bucket>), after O(label) when given.
  returned: always
  type: list
  elements: dict
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
  sample: {passed: 8, warning: 1, failed: 0, error: 0, skipped: 0, total: 9}
schema_version:
  description: The version of the result schema.
  returned: always
  type: int
  sample: 2
msg:
  description: The counts per status and the first finding, for a person reading the task output.
  returned: always
  type: str
"""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE)


if __name__ == "__main__":
    main()
