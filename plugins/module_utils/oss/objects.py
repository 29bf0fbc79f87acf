# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Object items: objects of the archive classes are not backed up, IA objects cost retrieval fees,
object ACLs are not backed up. Read from the newest inventory when it has the field, else from a
bounded listing sample."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.common import (
    ARCHIVE_CLASSES, count, examples, for_each_bucket, stamp)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.inventory import (
    MANIFEST_MAX_AGE, backup_inventory)


def inventory_source(ctx, bucket, field):
    """(rows, description, complete) from the newest manifest of the bucket's inventory when it lists `field`
    and is under 7 days old; (None, why not, False) otherwise. No permission to read inventories is a
    reason to fall back to the listing sample, and so is an OSS error reading it (a destination bucket
    that is gone); a network failure is not."""
    try:
        _inventories, inventory, manifests = backup_inventory(ctx, bucket)
    except PrecheckError as exc:
        if exc.cause not in ("permission", "protocol"):
            raise
        return None, "the inventory could not be read: %s" % exc.details.get("action", exc.details.get(
            "code", exc.cause)), False
    newest = manifests["newest"] if manifests else None
    if newest is None:
        return None, "no inventory manifest", False
    if field not in newest["schema"]:
        return None, "the inventory %r has no %s field" % (inventory["id"], field), False
    if ctx.now - newest["created"] >= MANIFEST_MAX_AGE:
        return None, "the newest manifest is older than 7 days", False
    read = ctx.inventory_rows(bucket, inventory, newest)
    described = "the inventory %r of %s (%s%s)" % (
        inventory["id"], stamp(read["created"]), count(len(read["rows"]), "row"), "" if read["complete"] else
        ", the first %d read (inventory_max_rows, sample_seconds)" % len(read["rows"]))
    return read["rows"], described, read["complete"]


def describe_sample(sample, bucket, limit_objects, limit_seconds, reason):
    """Where the objects come from; `reason`: why not from the inventory."""
    number = len(sample["objects"])
    if sample["complete"]:
        return "all %s of oss://%s (listed completely; %s)" % (count(number, "object"), bucket, reason)
    why = ("sample_objects = %d" % limit_objects) if sample["stopped"] == "objects" else (
        "sample_seconds = %g" % limit_seconds)
    return "a listing sample of the first %s of oss://%s (%s; %s)" % (count(number, "object"), bucket, why, reason)


def judge_object_storage_classes(target, bucket, objects, source, complete):
    """`objects`: [{key, storage_class}]; `source`: where they come from, for the message."""
    archived = [o for o in objects if o["storage_class"] in ARCHIVE_CLASSES]
    infrequent = [o for o in objects if o["storage_class"] == "IA"]
    counts = {}
    for obj in objects:
        counts[obj["storage_class"]] = counts.get(obj["storage_class"], 0) + 1
    details = {"source": source, "complete": complete, "objects": len(objects), "by_storage_class": counts,
               "archived_examples": [o["key"] for o in archived[:20]]}
    if archived:
        classes = ", ".join("%d %s" % (counts[c], ARCHIVE_CLASSES[c]) for c in ARCHIVE_CLASSES if c in counts)
        return [R.failed(
            target, "%s in %s are of an archive class (%s): Cloud Backup does not back them up or restore "
            "them. Examples: %s." % (count(len(archived), "object"), source, classes, examples(o["key"] for o in archived)),
            "Restore and convert the objects that must be protected (RestoreObject, then CopyObject onto themselves "
            "with x-oss-storage-class: Standard, e.g. ossutil restore oss://%s/<key> then ossutil set-meta "
            "oss://%s/<key> X-Oss-Storage-Class:Standard --update), and stop lifecycle rules that move them to an "
            "archive class; or accept that they are left out of the backup." % (bucket, bucket),
            details, code="archived_objects")]
    if infrequent:
        return [R.warning(
            target, "%s in %s are Infrequent Access (IA): backing them up costs OSS data retrieval fees, and "
            "they are restored as Standard objects. Examples: %s." % (
                count(len(infrequent), "object"), source, examples(o["key"] for o in infrequent)),
            "Budget the retrieval fees; after a restore, convert the objects back to IA with a lifecycle rule "
            "(OSS console > %s > Data Management > Lifecycle)." % bucket, details, code="ia_objects")]
    more = "" if complete else " Objects beyond the sample were not checked."
    return [R.passed(target, "No object of an archive class or IA among %s.%s" % (source, more), details)]


def judge_object_acls(target, bucket, acls, source, complete):
    """`acls`: key -> ACL (default, private, public-read, public-read-write)."""
    special = dict((key, acl) for key, acl in acls.items() if acl and acl != "default")
    counts = {}
    for acl in special.values():
        counts[acl] = counts.get(acl, 0) + 1
    details = {"source": source, "complete": complete, "objects": len(acls), "by_acl": counts,
               "examples": dict(sorted(special.items())[:20])}
    if special:
        public = sorted(key for key, acl in special.items() if acl.startswith("public"))
        worst = (" %d are public (%s): after a restore they are no longer public, which breaks whoever reads them "
                 "anonymously." % (len(public), examples(public))) if public else ""
        return [R.warning(
            target, "%s in %s have their own ACL (%s): Cloud Backup does not back up object ACLs, so "
            "restored objects inherit the bucket's ACL.%s" % (
                count(len(special), "object"), source, ", ".join("%d %s" % (n, acl) for acl, n in sorted(counts.items())), worst),
            "Record the ACLs before backing up (GetObjectAcl, ossutil stat oss://%s/<key>) and re-apply them after a "
            "restore (PutObjectAcl, ossutil set-acl oss://%s/<key> <acl>); or replace object ACLs with a bucket "
            "policy, which is configuration rather than data." % (bucket, bucket), details, code="object_acls")]
    more = "" if complete else " Objects beyond the sample were not checked."
    return [R.passed(target, "Every object among %s uses the bucket's ACL (default).%s" % (source, more), details)]


@register(
    "oss.object_storage_classes", "No object of an archive storage class", ("backup",),
    tags=("storage_class", "objects"),
    references=("HBR:OSS backup limits (Archive, Cold Archive, Deep Cold Archive objects)",),
    rule="Objects of the Archive, Cold Archive and Deep Cold Archive classes fail (not backed up); IA objects warn. "
         "Read from the newest inventory (under 7 days, with StorageClass), else from a listing sample bounded by "
         "sample_objects and sample_seconds.",
    permissions="oss:GetBucketInventory and oss:GetObject on the inventory destination, or oss:ListObjects.",
)
def object_storage_classes(ctx):
    def judge(bucket, target, info):
        rows, source, complete = inventory_source(ctx, bucket, "StorageClass")
        if rows is not None:
            objects = [{"key": r.get("Key"), "storage_class": r.get("StorageClass")} for r in rows]
            return judge_object_storage_classes(target, bucket, objects, source, complete)
        sample = ctx.listing_sample(bucket)
        described = describe_sample(sample, bucket, ctx.params["sample_objects"], ctx.params["sample_seconds"],
                                    source)
        return judge_object_storage_classes(target, bucket, sample["objects"], described, sample["complete"])
    return for_each_bucket(ctx, judge)


@register(
    "oss.object_acl", "No object has an ACL of its own", ("restore",),
    tags=("objects", "acl"),
    references=("HBR:Cloud Backup does not back up or restore object ACLs",),
    rule="Objects whose ACL is not default warn: their ACL is not backed up. Read from the newest inventory when it "
         "has ObjectAcl, else GetObjectAcl on the first acl_sample_objects objects of the listing sample.",
    permissions="oss:GetObjectAcl (or the inventory's ObjectAcl field), oss:ListObjects.",
    options=dict(acl_sample_objects=dict(type="int", minimum=1, default=100, description=[
        "How many objects of the listing sample C(oss.object_acl) asks GetObjectAcl for, when the inventory has no "
        "ObjectAcl field; all within O(sample_seconds)."])),
)
def object_acl(ctx):
    def judge(bucket, target, info):
        rows, source, complete = inventory_source(ctx, bucket, "ObjectAcl")
        if rows is not None:
            return judge_object_acls(target, bucket, dict((r.get("Key"), r.get("ObjectAcl")) for r in rows),
                                     source, complete)
        sample = ctx.listing_sample(bucket)
        keys = [o["key"] for o in sample["objects"][:int(ctx.params["acl_sample_objects"])]]
        read = ctx.object_acls(bucket, keys)
        described = "the first %s of oss://%s (acl_sample_objects%s; %s)" % (
            count(len(read["acls"]), "object"), bucket, ", stopped by sample_seconds" if read["stopped"] else "",
            source)
        complete = sample["complete"] and len(read["acls"]) == len(sample["objects"])
        return judge_object_acls(target, bucket, read["acls"], described, complete)
    return for_each_bucket(ctx, judge)
