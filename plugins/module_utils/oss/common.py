# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the OSS items share: one result per bucket, the storage classes Cloud Backup cannot back up,
and the wording of ages and samples."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

# Storage classes Cloud Backup does not back up or restore (seed 003), with their console names.
ARCHIVE_CLASSES = {"Archive": "Archive", "ColdArchive": "Cold Archive", "DeepColdArchive": "Deep Cold Archive"}
BACKED_UP_CLASSES = ("Standard", "IA")

CONSOLE_INVENTORY = "OSS console > Buckets > %s > Data Management > Bucket Inventory"


def for_each_bucket(ctx, judge):
    """judge(bucket, target, info) -> outcomes, for every bucket of the run. A bucket whose
    GetBucketInfo failed is not judged: its result says so and carries the cause (oss.connection
    has the full error), and a failure while judging one bucket does not hide the others."""
    outcomes = []
    for bucket in ctx.buckets:
        target = ctx.bucket_target(bucket)
        try:
            info = ctx.bucket_info(bucket)
        except PrecheckError as exc:
            outcomes.append(R.error(target, "Not run: GetBucketInfo of oss://%s failed (%s); see oss.connection."
                                    % (bucket, getattr(exc, "code", None) or exc.cause), "dependency",
                                    details={"depends_on": "oss.connection", "cause": exc.cause,
                                             "error": exc.message}))
            continue
        try:
            outcomes.extend(judge(bucket, target, info))
        except PrecheckError as exc:
            outcomes.append(R.error(target, exc.message, exc.cause, exc.remediation, exc.details))
    return outcomes


def describe_age(delta):
    hours = delta.total_seconds() / 3600.0
    if hours < 48:
        return "%.1f hours" % hours
    return "%.1f days" % (hours / 24.0)


def stamp(when):
    return when.strftime("%Y-%m-%d %H:%M UTC")


def count(number, noun):
    return "%d %s%s" % (number, noun, "" if number == 1 else "s")


def examples(keys, limit=5):
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (" and %d more" % (len(keys) - limit) if len(keys) > limit else "")
