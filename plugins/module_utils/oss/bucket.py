# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bucket items, from GetBucketInfo: the bucket answers, its storage class, and CloudBox."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss.common import (
    ARCHIVE_CLASSES, for_each_bucket)


def judge_connection(target, bucket, endpoint, info=None, error=None):
    """`info`: the gathered bucket info; `error`: the PrecheckError GetBucketInfo raised instead."""
    if error is None:
        return [R.passed(target, "oss://%s answered GetBucketInfo at %s in %d ms (location %s, %s, %s)."
                         % (bucket, endpoint, info["elapsed_ms"], info["location"], info["storage_class"],
                            info["redundancy"] or "redundancy unknown"), details=info)]
    if getattr(error, "code", None) == "NoSuchBucket":
        return [R.failed(target, "oss://%s does not exist at %s (NoSuchBucket): there is nothing to back up under "
                         "this name in this region." % (bucket, endpoint),
                         "Check the bucket name and its region (OSS console > Buckets shows both); set region or "
                         "endpoint to the bucket's region, or cloudbox_id for an OSS on CloudBox bucket.",
                         details=error.details, code="no_such_bucket")]
    return [R.error(target, error.message, error.cause, error.remediation, error.details)]


def judge_bucket_storage_class(target, bucket, storage_class):
    details = {"storage_class": storage_class}
    if storage_class in ARCHIVE_CLASSES:
        return [R.failed(
            target, "oss://%s is a bucket of the %s storage class: Cloud Backup does not back up or restore Archive, "
            "Cold Archive or Deep Cold Archive buckets." % (bucket, ARCHIVE_CLASSES[storage_class]),
            "A bucket's storage class cannot be changed: create a Standard (or IA) bucket, restore the objects "
            "(RestoreObject, or ossutil restore oss://%s/ -r), copy them over with the Standard class "
            "(ossutil cp oss://%s/ oss://<new bucket>/ -r --meta X-Oss-Storage-Class:Standard) and back up the new "
            "bucket." % (bucket, bucket), details, code="archive_bucket")]
    if storage_class == "IA":
        return [R.warning(
            target, "oss://%s is an Infrequent Access (IA) bucket: Cloud Backup reads it with OSS data retrieval fees "
            "per GB on every backup, and restores its objects as Standard objects." % bucket,
            "Budget the retrieval fees (OSS billing: data processing fees), and after a restore convert the restored "
            "objects back to IA with a lifecycle rule (OSS console > %s > Data Management > Lifecycle)." % bucket,
            details, code="ia_bucket")]
    if storage_class == "Standard":
        return [R.passed(target, "oss://%s is a Standard bucket, which Cloud Backup backs up and restores." % bucket,
                         details)]
    return [R.warning(target, "oss://%s has the storage class %r, which this precheck does not know: Cloud Backup "
                      "supports Standard and IA buckets only." % (bucket, storage_class),
                      "Check the bucket's storage class in the OSS console (Buckets > %s > Overview)." % bucket,
                      details, code="unknown_class")]


def judge_cloudbox(target, bucket, info, cloudbox_id):
    endpoints = [info.get("extranet_endpoint"), info.get("intranet_endpoint")]
    box = cloudbox_id or next((e.split(".", 1)[0] for e in endpoints if e and ".oss-cloudbox" in e), None)
    details = {"cloudbox_id": box, "extranet_endpoint": endpoints[0], "intranet_endpoint": endpoints[1]}
    if box:
        return [R.failed(target, "oss://%s is an OSS on CloudBox bucket (CloudBox %s): Cloud Backup's OSS backup does "
                         "not support buckets in CloudBox." % (bucket, box),
                         "Back up this data from a bucket in an Alibaba Cloud region (copy it with ossutil cp -r or "
                         "Data Online Migration into a regional bucket), or protect it with a backup client on the "
                         "CloudBox side.", details, code="cloudbox_bucket")]
    return [R.passed(target, "oss://%s is a regional bucket (%s), not in CloudBox." % (bucket, info["location"]),
                     details)]


@register(
    "oss.connection", "The endpoint answers and the credentials may read the bucket", ("all_operations",),
    tags=("connection",),
    rule="GetBucketInfo of every bucket succeeds; DNS, refused, TLS, timeout, AccessDenied (naming the RAM action), "
         "NoSuchBucket and signature errors are told apart.",
    permissions="oss:GetBucketInfo on each bucket.",
    versions="OSS API (alibabacloud-oss-v2 1.x, V4 signatures).",
)
def connection(ctx):
    results = []
    for bucket in ctx.buckets:
        target = ctx.bucket_target(bucket)
        try:
            info = ctx.bucket_info(bucket)
        except PrecheckError as exc:
            results.extend(judge_connection(target, bucket, ctx.settings["endpoint_label"], error=exc))
            continue
        results.extend(judge_connection(target, bucket, ctx.settings["endpoint_label"], info=info))
    return results


@register(
    "oss.bucket_storage_class", "The bucket is of the Standard or IA storage class", ("backup",),
    tags=("storage_class",),
    references=("HBR:OSS backup limits (Archive, Cold Archive, Deep Cold Archive buckets)",),
    rule="Standard passes; IA warns (retrieval fees, restored as Standard); Archive, Cold Archive and Deep Cold "
         "Archive fail: they are not backed up.",
    permissions="oss:GetBucketInfo.",
)
def bucket_storage_class(ctx):
    return for_each_bucket(ctx, lambda bucket, target, info: judge_bucket_storage_class(
        target, bucket, info["storage_class"]))


@register(
    "oss.cloudbox", "The bucket is not an OSS on CloudBox bucket", ("backup",),
    tags=("cloudbox",),
    references=("HBR:OSS backup does not support buckets in CloudBox",),
    rule="A bucket reached through a CloudBox (cloudbox_id, a CloudBox endpoint, or CloudBox endpoints in "
         "GetBucketInfo) fails: OSS backup does not support it.",
    permissions="oss:GetBucketInfo.",
)
def cloudbox(ctx):
    return for_each_bucket(ctx, lambda bucket, target, info: judge_cloudbox(
        target, bucket, info, ctx.settings["cloudbox_id"]))
