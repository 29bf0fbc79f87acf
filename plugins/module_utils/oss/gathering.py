# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OSS gathering: each API call once per bucket and run, memoized in the context, and turned into
plain dicts (bucket info, inventories, manifests, inventory rows, a bounded listing sample, object
ACLs), so that the judges are tested on plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import datetime
import json
import re
import time
import zlib
from urllib.parse import unquote

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context, instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import connection as oss_conn

# Bounds that are not options: a bucket has at most 1,000 inventories (10 pages of 100), and the
# manifest folders of one inventory are listed in at most 20 pages of 1,000 (55 years of daily runs).
INVENTORY_PAGES = 10
FOLDER_PAGES = 20
MANIFEST_TRIES = 3                    # newest folders whose manifest.json is tried (one may be mid-write)
MAX_INVENTORY_FILE = 64 * 1024 * 1024  # bytes of one decompressed inventory CSV file read at most

_FOLDER = re.compile(r"(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/$")


def parse_destination_bucket(arn):
    """`acs:oss:::bucket-name` -> bucket-name (the form OSS returns); a bare name is kept."""
    return (arn or "").rsplit(":", 1)[-1]


def inventory_folder(inventory, bucket):
    """`<dest prefix>/<bucket>/<inventory id>/`: without a prefix that level is omitted."""
    prefix = (inventory.get("prefix") or "").strip("/")
    return "/".join(([prefix] if prefix else []) + [bucket, inventory["id"]]) + "/"


def folder_time(folder):
    match = _FOLDER.search(folder)
    if not match:
        return None
    return datetime.datetime.strptime(match.group("stamp"), "%Y-%m-%dT%H-%MZ").replace(tzinfo=datetime.timezone.utc)


def parse_manifest(body, key, folder_created):
    """manifest.json -> {key, created, schema, files}; the creation time is `creationTimestamp`
    (seconds since the epoch), else the folder's timestamp."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise PrecheckError("protocol", "The inventory manifest %s is not JSON." % key,
                            "Check the object; OSS writes it as JSON when an inventory run completes.")
    created = folder_created
    try:
        created = datetime.datetime.fromtimestamp(int(data.get("creationTimestamp")), datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    schema = [field.strip() for field in str(data.get("fileSchema") or "").split(",") if field.strip()]
    files = [dict(key=f.get("key"), size=f.get("size")) for f in data.get("files") or [] if f.get("key")]
    return {"key": key, "created": created, "schema": schema, "files": files,
            "format": data.get("fileFormat"), "destination": data.get("destinationBucket")}


def parse_inventory_csv(text, schema, limit):
    """Rows of an inventory CSV file (no header; the columns are the manifest's fileSchema; keys
    are URL-encoded) as dicts, at most `limit`."""
    rows = []
    for cells in csv.reader(text.splitlines()):
        if len(rows) >= limit:
            break
        if not cells:
            continue
        row = dict(zip(schema, cells))
        if "Key" in row:
            row["Key"] = unquote(row["Key"])
        rows.append(row)
    return rows


class OssContext(Context):
    """One SDK client per run; every data set read once per bucket."""

    def __init__(self, params, now=None):
        self.settings = oss_conn.resolve_settings(params)
        self.label = params.get("label")
        self.buckets = list(params.get("buckets") or [])
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        super(OssContext, self).__init__(params, instance_target(self.settings["endpoint_label"], self.label),
                                         secrets=[params.get("access_key_secret"), params.get("security_token")])

    def bucket_target(self, bucket):
        return instance_target("oss://%s" % bucket, self.label)

    def client(self):
        def make():
            if not oss_conn.HAS_SDK:
                raise PrecheckError(
                    "driver_missing", "The Alibaba Cloud OSS SDK for Python (alibabacloud-oss-v2) is not installed on "
                    "this host (%s)." % oss_conn.SDK_IMPORT_ERROR,
                    "Install it into the Python that runs the module: python3 -m pip install alibabacloud-oss-v2 "
                    "(scripts/setup.sh does this for the controller).", source=oss_conn.CONNECTION_CHECK)
            return oss_conn.Client(self.settings)
        return self.cached("client", make)

    def call(self, operation, request_type, bucket, subject=None, read_body=False, **fields):
        request = getattr(oss_conn.oss, request_type)(bucket=bucket, **fields)
        return self.client().call(operation, request, bucket, subject=subject, read_body=read_body)

    # -- the bucket ---------------------------------------------------------------------------

    def bucket_info(self, bucket):
        def read():
            started = time.monotonic()
            info = self.call("GetBucketInfo", "GetBucketInfoRequest", bucket).bucket_info
            return {
                "name": info.name, "storage_class": info.storage_class, "location": info.location,
                "extranet_endpoint": info.extranet_endpoint, "intranet_endpoint": info.intranet_endpoint,
                "redundancy": info.data_redundancy_type, "acl": info.acl, "versioning": info.versioning,
                "created": info.creation_date.isoformat() if info.creation_date else None,
                "elapsed_ms": int((time.monotonic() - started) * 1000),
            }
        return self.cached(("bucket_info", bucket), read)

    # -- inventories and their manifests ------------------------------------------------------

    def inventories(self, bucket):
        def read():
            found, token = [], None
            for _page in range(INVENTORY_PAGES):
                fields = {"continuation_token": token} if token else {}
                result = self.call("ListBucketInventory", "ListBucketInventoryRequest", bucket, **fields)
                listing = result.list_inventory_configurations_result
                for conf in (listing.inventory_configurations or []) if listing else []:
                    found.append(self._inventory(conf))
                if not listing or not listing.is_truncated or not listing.next_continuation_token:
                    break
                token = listing.next_continuation_token
            return found
        return self.cached(("inventories", bucket), read)

    @staticmethod
    def _inventory(conf):
        destination = conf.destination.oss_bucket_destination if conf.destination else None
        return {
            "id": conf.id,
            "enabled": bool(conf.is_enabled),
            "frequency": conf.schedule.frequency if conf.schedule else None,
            "destination_bucket": parse_destination_bucket(destination.bucket) if destination else None,
            "prefix": (destination.prefix or "") if destination else "",
            "format": destination.format if destination else None,
            "fields": list(conf.optional_fields.fields or []) if conf.optional_fields else [],
            "filter_prefix": conf.filter.prefix if conf.filter else None,
        }

    def manifests(self, bucket, inventory):
        """The newest manifest of `inventory`: {folder, folders, newest (parse_manifest) or None}."""
        def read():
            destination = inventory["destination_bucket"]
            folder = inventory_folder(inventory, bucket)
            folders, token = [], None
            for _page in range(FOLDER_PAGES):
                fields = dict(prefix=folder, delimiter="/", max_keys=1000)
                if token:
                    fields["continuation_token"] = token
                result = self.call("ListObjectsV2", "ListObjectsV2Request", destination,
                                   subject="oss://%s/%s" % (destination, folder), **fields)
                folders.extend(p.prefix for p in result.common_prefixes or [] if folder_time(p.prefix))
                if not result.is_truncated or not result.next_continuation_token:
                    break
                token = result.next_continuation_token
            folders.sort(key=folder_time, reverse=True)
            newest = None
            for candidate in folders[:MANIFEST_TRIES]:
                key = candidate + "manifest.json"
                try:
                    _result, body = self.call("GetObject", "GetObjectRequest", destination, key=key,
                                              subject="oss://%s/%s" % (destination, key), read_body=True)
                except oss_conn.OssCallError as exc:
                    if exc.code == "NoSuchKey":
                        continue  # the run has not finished writing this one
                    raise
                newest = parse_manifest(body, key, folder_time(candidate))
                break
            return {"destination": destination, "folder": folder, "folders": len(folders), "newest": newest}
        return self.cached(("manifests", bucket, inventory["id"]), read)

    def inventory_rows(self, bucket, inventory, manifest):
        """The rows of a manifest's CSV files, at most inventory_max_rows, within sample_seconds."""
        def read():
            limit = int(self.params["inventory_max_rows"])
            deadline = time.monotonic() + float(self.params["sample_seconds"])
            rows, complete = [], True
            destination = inventory["destination_bucket"]
            for entry in manifest["files"]:
                if len(rows) >= limit or time.monotonic() > deadline:
                    complete = False
                    break
                _result, body = self.call("GetObject", "GetObjectRequest", destination, key=entry["key"],
                                          subject="oss://%s/%s" % (destination, entry["key"]), read_body=True)
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip, bounded below
                text = inflater.decompress(body, MAX_INVENTORY_FILE).decode("utf-8", "replace")
                if inflater.unconsumed_tail:
                    complete = False
                    text = text.rsplit("\n", 1)[0]  # keep whole rows only
                rows.extend(parse_inventory_csv(text, manifest["schema"], limit - len(rows)))
                if len(rows) >= limit:
                    complete = False
            return {"rows": rows, "complete": complete, "manifest": manifest["key"],
                    "created": manifest["created"], "schema": manifest["schema"]}
        return self.cached(("inventory_rows", bucket, manifest["key"]), read)

    # -- the bounded listing sample and object ACLs -------------------------------------------

    def listing_sample(self, bucket):
        """The first sample_objects objects of the bucket, listed for at most sample_seconds."""
        def read():
            limit = int(self.params["sample_objects"])
            started = time.monotonic()
            deadline = started + float(self.params["sample_seconds"])
            objects, token, stopped = [], None, None
            while True:
                fields = {"max_keys": min(1000, limit - len(objects))}
                if token:
                    fields["continuation_token"] = token
                result = self.call("ListObjectsV2", "ListObjectsV2Request", bucket, **fields)
                objects.extend({"key": o.key, "storage_class": o.storage_class, "size": o.size}
                               for o in result.contents or [])
                if not result.is_truncated or not result.next_continuation_token:
                    break
                if len(objects) >= limit:
                    stopped = "objects"
                    break
                if time.monotonic() > deadline:
                    stopped = "seconds"
                    break
                token = result.next_continuation_token
            return {"objects": objects, "complete": stopped is None, "stopped": stopped,
                    "elapsed_ms": int((time.monotonic() - started) * 1000)}
        return self.cached(("listing_sample", bucket), read)

    def object_acls(self, bucket, keys):
        """GetObjectAcl of `keys`, within sample_seconds: {acls: {key: acl}, stopped}."""
        def read():
            deadline = time.monotonic() + float(self.params["sample_seconds"])
            acls, stopped = {}, None
            for key in keys:
                if time.monotonic() > deadline:
                    stopped = "seconds"
                    break
                result = self.call("GetObjectAcl", "GetObjectAclRequest", bucket, key=key,
                                   subject="oss://%s/%s" % (bucket, key))
                acls[key] = result.acl
            return {"acls": acls, "stopped": stopped}
        return self.cached(("object_acls", bucket, tuple(keys)), read)
