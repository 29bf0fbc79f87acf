# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory items: a backup plan that uses the bucket's OSS inventory (manifest) fails when no
manifest exists, when the newest is older than 7 days, or when it was not updated since the last
backup; its interval must be at least the inventory's period (seed 003)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.common import (
    CONSOLE_INVENTORY, describe_age, for_each_bucket, stamp)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.gathering import inventory_folder

# Cloud Backup uses only a manifest from the last 7 days.
MANIFEST_MAX_AGE = datetime.timedelta(days=7)

# Hours between two runs of an inventory; a one-time inventory (Once) has no period.
FREQUENCY_HOURS = {"Daily": 24.0, "Weekly": 168.0, "Monthly": 31 * 24.0, "Once": None}

# At most this many enabled inventories are compared to find the one with the newest manifest.
MAX_CANDIDATES = 10


def parse_time(text):
    """ISO 8601 (`2026-12-01T02:00:00Z`, `2026-12-01 10:00+08:00`; no zone: UTC) -> aware datetime."""
    text = str(text).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    when = datetime.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def not_using_inventory(ctx):
    """Skipped results, one per bucket, when the backup plan does not use the inventory; else None.
    (Not `applies`: that would give one result for the endpoint instead of one per bucket.)"""
    if ctx.params.get("use_inventory", True):
        return None
    return [R.skipped(ctx.bucket_target(b), "The backup plan does not use the OSS inventory (use_inventory is "
                      "false).") for b in ctx.buckets]


def backup_inventory(ctx, bucket):
    """(inventories, the inventory the backup uses or None, its manifests or None). With
    inventory_id, that one; else the enabled inventory whose manifest is newest."""
    def choose():
        inventories = ctx.inventories(bucket)
        wanted = ctx.params.get("inventory_id")
        if wanted:
            chosen = [inv for inv in inventories if inv["id"] == wanted]
        else:
            chosen = sorted((inv for inv in inventories if inv["enabled"]), key=lambda inv: inv["id"])
        chosen = chosen[:MAX_CANDIDATES]
        if not chosen:
            return inventories, None, None
        if len(chosen) == 1 and not chosen[0]["enabled"]:
            return inventories, chosen[0], None
        best, best_manifests = chosen[0], ctx.manifests(bucket, chosen[0])
        for inventory in chosen[1:]:
            manifests = ctx.manifests(bucket, inventory)
            if manifests["newest"] and (not best_manifests["newest"] or
                                        manifests["newest"]["created"] > best_manifests["newest"]["created"]):
                best, best_manifests = inventory, manifests
        return inventories, best, best_manifests
    return ctx.cached(("backup_inventory", bucket), choose)


def _create_inventory_fix(bucket):
    return ("Create an inventory of oss://%s: %s > Create Inventory (frequency Daily, format CSV, with the "
            "StorageClass field), or call PutBucketInventory (ossutil api put-bucket-inventory --bucket %s "
            "--inventory-id <id> --inventory-configuration file://inventory.xml); then wait for its first "
            "manifest before the first backup." % (bucket, CONSOLE_INVENTORY % bucket, bucket))


def judge_inventory_configured(target, bucket, inventories, inventory_id, chosen, destination_error=None):
    ids = [inv["id"] for inv in inventories]
    details = {"inventories": ids, "inventory_id": inventory_id}
    if not inventories:
        return [R.failed(target, "oss://%s has no inventory: a backup plan that uses the OSS inventory (manifest) "
                         "has no manifest to read, and its backup jobs fail." % bucket,
                         _create_inventory_fix(bucket), details, code="no_inventory")]
    if chosen is None and inventory_id:
        return [R.failed(target, "oss://%s has no inventory %r (its inventories: %s)." % (
            bucket, inventory_id, ", ".join(ids)), "Set inventory_id to the inventory the backup plan uses, or "
            "create it: %s." % (CONSOLE_INVENTORY % bucket), details, code="inventory_not_found")]
    if chosen is None or not chosen["enabled"]:
        which = "the inventory %r is" % chosen["id"] if chosen else "every inventory (%s) is" % ", ".join(ids)
        return [R.failed(target, "On oss://%s %s disabled: no new manifest is generated, so backups that use the "
                         "manifest fail." % (bucket, which),
                         "Enable it: %s > the inventory > Edit > Enabled (IsEnabled true in PutBucketInventory)."
                         % (CONSOLE_INVENTORY % bucket), details, code="disabled")]
    details.update(chosen)
    where = "oss://%s/%s" % (chosen["destination_bucket"], chosen.get("folder", ""))
    if destination_error is not None:
        if getattr(destination_error, "code", None) == "NoSuchBucket":
            return [R.failed(target, "The inventory %r of oss://%s writes to oss://%s, which does not exist: no "
                             "manifest can be generated." % (chosen["id"], bucket, chosen["destination_bucket"]),
                             "Point the inventory at an existing bucket of the same region and account (%s > Edit)."
                             % (CONSOLE_INVENTORY % bucket), details, code="destination_missing")]
        return [R.error(target, "The destination of the inventory %r of oss://%s cannot be read: %s" % (
            chosen["id"], bucket, destination_error.message), destination_error.cause,
            destination_error.remediation, dict(details, **destination_error.details))]
    return [R.passed(target, "oss://%s has the enabled inventory %r (%s, fields %s), written to %s." % (
        bucket, chosen["id"], chosen["frequency"], ", ".join(chosen["fields"]) or "none", where), details)]


def judge_inventory_fresh(target, bucket, inventory, manifests, now):
    if inventory is None or manifests is None:
        return [R.failed(target, "oss://%s has no enabled inventory, so no manifest: a backup that uses the OSS "
                         "manifest fails (see oss.inventory_configured)." % bucket, _create_inventory_fix(bucket),
                         code="no_inventory")]
    where = "oss://%s/%s" % (manifests["destination"], manifests["folder"])
    newest = manifests["newest"]
    details = {"inventory_id": inventory["id"], "frequency": inventory["frequency"], "folder": where,
               "manifest_folders": manifests["folders"]}
    if newest is None:
        return [R.failed(target, "The inventory %r of oss://%s has no manifest.json under %s<timestamp>/ yet: a backup "
                         "job started now fails." % (inventory["id"], bucket, where),
                         "Wait for the inventory's first run (%s shows its status); if none comes, check that its "
                         "RAM role may write to oss://%s. Start backups only after a manifest exists."
                         % (CONSOLE_INVENTORY % bucket, manifests["destination"]), details, code="no_manifest")]
    age = now - newest["created"]
    details.update({"manifest": newest["key"], "created": newest["created"].isoformat(),
                    "age_hours": round(age.total_seconds() / 3600.0, 1)})
    if age >= MANIFEST_MAX_AGE:
        return [R.failed(target, "The newest manifest of inventory %r of oss://%s (%s) is %s old: Cloud Backup uses only "
                         "a manifest from the last 7 days, so the backup job fails." % (
                             inventory["id"], bucket, newest["key"], describe_age(age)),
                         "The inventory stopped producing manifests: check that it is enabled and its RAM role may "
                         "still write to oss://%s (%s), and that the destination bucket accepts writes."
                         % (manifests["destination"], CONSOLE_INVENTORY % bucket), details, code="too_old")]
    period = FREQUENCY_HOURS.get(inventory["frequency"])
    if period and age > datetime.timedelta(hours=period + 24):
        return [R.warning(target, "The newest manifest of inventory %r of oss://%s is %s old, more than one %s period: "
                          "the inventory seems to have missed runs; it will be unusable at 7 days." % (
                              inventory["id"], bucket, describe_age(age), inventory["frequency"]),
                          "Check the inventory and its RAM role (%s)." % (CONSOLE_INVENTORY % bucket), details,
                          code="overdue")]
    return [R.passed(target, "The newest manifest of inventory %r of oss://%s is %s old (%s), within the 7 days "
                     "Cloud Backup accepts." % (inventory["id"], bucket, describe_age(age), stamp(newest["created"])),
                     details)]


def judge_since_last_backup(target, bucket, inventory, manifests, last_backup):
    newest = manifests["newest"] if manifests else None
    if newest is None:
        return [R.skipped(target, "No manifest of oss://%s to compare with the last backup (see oss.inventory_fresh)."
                          % bucket)]
    details = {"inventory_id": inventory["id"], "manifest": newest["key"], "created": newest["created"].isoformat(),
               "last_backup_time": last_backup.isoformat()}
    if newest["created"] <= last_backup:
        return [R.failed(target, "The newest manifest of inventory %r of oss://%s was generated at %s, not after the "
                         "last backup (%s): the next backup job fails because the manifest was not updated." % (
                             inventory["id"], bucket, stamp(newest["created"]), stamp(last_backup)),
                         "Run the next backup only after the inventory's next run (%s); make the backup interval at "
                         "least the inventory period (oss.interval_vs_inventory)." % inventory["frequency"],
                         details, code="not_updated")]
    return [R.passed(target, "The newest manifest of inventory %r of oss://%s (%s) is newer than the last backup "
                     "(%s)." % (inventory["id"], bucket, stamp(newest["created"]), stamp(last_backup)), details)]


def judge_interval(target, bucket, inventory, interval_hours):
    frequency = inventory["frequency"]
    details = {"inventory_id": inventory["id"], "frequency": frequency, "backup_interval_hours": interval_hours}
    if frequency not in FREQUENCY_HOURS:
        return [R.warning(target, "The inventory %r of oss://%s has the frequency %r, which this precheck does not "
                          "know." % (inventory["id"], bucket, frequency),
                          "Use a Daily or Weekly inventory (%s)." % (CONSOLE_INVENTORY % bucket), details,
                          code="unknown_frequency")]
    period = FREQUENCY_HOURS[frequency]
    if period is None:
        return [R.failed(target, "The inventory %r of oss://%s runs once: after its one manifest, every later backup "
                         "finds no new manifest and fails." % (inventory["id"], bucket),
                         "Make it Daily or Weekly (%s > Edit)." % (CONSOLE_INVENTORY % bucket), details,
                         code="once")]
    details["inventory_period_hours"] = period
    if interval_hours < period:
        return [R.failed(target, "The planned backup interval (%g hours) of oss://%s is shorter than its inventory "
                         "%r's %s period (%g hours): some backups find no new manifest and fail." % (
                             interval_hours, bucket, inventory["id"], frequency, period),
                         "Back up at most once per inventory period (every %g hours or more), or make the inventory "
                         "%s (%s > Edit)." % (period, "Daily" if frequency != "Daily" else "more frequent",
                                              CONSOLE_INVENTORY % bucket), details, code="too_short")]
    return [R.passed(target, "The planned backup interval (%g hours) of oss://%s is at least its inventory %r's %s "
                     "period (%g hours)." % (interval_hours, bucket, inventory["id"], frequency, period), details)]


@register(
    "oss.inventory_configured", "An enabled inventory writes manifests the backup can use", ("incremental_backup",),
    tags=("inventory",),
    references=("HBR:OSS backup with an OSS manifest",),
    rule="An enabled inventory exists on the bucket (inventory_id, or any), and its destination bucket can be listed.",
    permissions="oss:GetBucketInventory on the bucket; oss:ListObjects on the destination bucket.",
)
def inventory_configured(ctx):
    skipped = not_using_inventory(ctx)
    if skipped:
        return skipped

    def judge(bucket, target, info):
        inventories = ctx.inventories(bucket)
        destination_error = None
        try:
            _all, chosen, _manifests = backup_inventory(ctx, bucket)
        except PrecheckError as exc:
            # The listing of the destination failed: judged here, with the inventory that was being read.
            chosen, destination_error = _first_candidate(inventories, ctx.params.get("inventory_id")), exc
        if chosen is not None:
            chosen = dict(chosen, folder=inventory_folder(chosen, bucket))
        return judge_inventory_configured(target, bucket, inventories, ctx.params.get("inventory_id"), chosen,
                                          destination_error)
    return for_each_bucket(ctx, judge)


def _first_candidate(inventories, inventory_id):
    for inventory in sorted(inventories, key=lambda inv: inv["id"]):
        if inventory["id"] == inventory_id or (not inventory_id and inventory["enabled"]):
            return inventory
    return None


@register(
    "oss.inventory_fresh", "The newest manifest is less than 7 days old", ("backup",),
    tags=("inventory",),
    references=("HBR:OSS backup uses the most recent manifest from the last 7 days",),
    rule="The newest <dest prefix>/<bucket>/<inventory id>/<timestamp>/manifest.json is under 7 days old; none means "
         "the job fails; older than one inventory period plus a day warns.",
    permissions="oss:GetBucketInventory; oss:ListObjects and oss:GetObject on the destination bucket.",
)
def inventory_fresh(ctx):
    skipped = not_using_inventory(ctx)
    if skipped:
        return skipped

    def judge(bucket, target, info):
        _inventories, inventory, manifests = backup_inventory(ctx, bucket)
        if inventory is not None and not inventory["enabled"]:
            inventory = None
        return judge_inventory_fresh(target, bucket, inventory, manifests, ctx.now)
    return for_each_bucket(ctx, judge)


@register(
    "oss.inventory_since_last_backup", "The newest manifest is newer than the last backup", ("backup",),
    tags=("inventory",),
    references=("HBR:OSS backup fails when the manifest was not updated since the last backup",),
    rule="The newest manifest was generated after last_backup_time; otherwise the next job fails.",
    permissions="As oss.inventory_fresh.",
    options=dict(last_backup_time=dict(type="str", description=[
        "When the last backup of these buckets ran (ISO 8601, such as V(2026-12-01T02:00:00Z) or "
        "V(2026-12-01 10:00+08:00); without a zone, UTC).",
        "Not set: C(oss.inventory_since_last_backup) is skipped."])),
)
def inventory_since_last_backup(ctx):
    skipped = not_using_inventory(ctx)
    if skipped:
        return skipped
    if not ctx.params.get("last_backup_time"):
        return [R.skipped(ctx.bucket_target(b), "No last backup time given (last_backup_time).") for b in ctx.buckets]
    last_backup = parse_time(ctx.params["last_backup_time"])

    def judge(bucket, target, info):
        _inventories, inventory, manifests = backup_inventory(ctx, bucket)
        return judge_since_last_backup(target, bucket, inventory, manifests, last_backup)
    return for_each_bucket(ctx, judge)


@register(
    "oss.interval_vs_inventory", "The backup interval is at least the inventory period", ("backup",),
    tags=("inventory",),
    references=("HBR:The backup interval must be at least the OSS manifest generation period",),
    rule="backup_interval_hours is at least the inventory frequency (Daily 24 h, Weekly 168 h, Monthly 744 h); "
         "a one-time inventory fails.",
    permissions="oss:GetBucketInventory.",
    options=dict(backup_interval_hours=dict(type="float", exclusive_minimum=0, description=[
        "The planned interval between two backups of these buckets, in hours (V(24) for a daily plan).",
        "Not set: C(oss.interval_vs_inventory) is skipped."])),
)
def interval_vs_inventory(ctx):
    skipped = not_using_inventory(ctx)
    if skipped:
        return skipped
    interval = ctx.params.get("backup_interval_hours")
    if interval is None:
        return [R.skipped(ctx.bucket_target(b), "No planned backup interval given (backup_interval_hours).")
                for b in ctx.buckets]

    def judge(bucket, target, info):
        _inventories, inventory, _manifests = backup_inventory(ctx, bucket)
        if inventory is None:
            return [R.skipped(target, "oss://%s has no enabled inventory to compare with (see "
                              "oss.inventory_configured)." % bucket)]
        return judge_interval(target, bucket, inventory, float(interval))
    return for_each_bucket(ctx, judge)
