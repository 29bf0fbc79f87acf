"""Scenario: the account the test server plays (credentials, buckets, objects, inventories and the
manifests they produced), and how the server misbehaves. See README.md for the format."""
import base64
import datetime
import gzip
import hashlib
import json
import os
import uuid
from urllib.parse import quote

import yaml

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
OBJECT_ACLS = ("default", "private", "public-read", "public-read-write")
FREQUENCIES = ("Daily", "Weekly", "Monthly", "Once")
MODES = ("normal", "silent", "drop", "refuse")
OPTIONAL_FIELDS = ("Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "EncryptionStatus",
                   "TransitionTime", "ObjectAcl", "TaggingCount", "ObjectType", "Crc64")
ACTIONS = ("oss:GetBucketInfo", "oss:GetBucketInventory", "oss:ListObjects", "oss:GetObject", "oss:GetObjectAcl")


def _check_keys(where, spec, allowed):
    if not isinstance(spec, dict):
        raise ValueError("%s: expected a mapping, got %r" % (where, spec))
    unknown = set(spec) - set(allowed)
    if unknown:  # a typo in a scenario must fail loudly, not silently change the test
        raise ValueError("%s: unknown key(s) %s (allowed: %s)" % (where, sorted(unknown), sorted(allowed)))


def _choice(where, value, allowed):
    if value not in allowed:
        raise ValueError("%s: %r is not one of %s" % (where, value, ", ".join(allowed)))
    return value


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)


class StoredObject:
    def __init__(self, key, data=b"", size=None, storage_class="Standard", acl="default", modified=None,
                 object_type="Normal", content_type="application/octet-stream"):
        self.key = key
        self.data = data
        self.size = len(data) if size is None else int(size)
        self.storage_class = storage_class
        self.acl = acl
        self.modified = modified
        self.object_type = object_type
        self.content_type = content_type
        self.etag = '"%s"' % hashlib.md5(key.encode("utf-8") + data).hexdigest().upper()


class Bucket:
    KEYS = ("name", "storage_class", "cloudbox_id", "acl", "redundancy", "versioning", "objects", "inventories",
            "created_days_ago")

    def __init__(self, spec, scenario, where):
        _check_keys(where, spec, self.KEYS)
        self.name = spec["name"]
        self.storage_class = _choice(where + ".storage_class", spec.get("storage_class", "Standard"),
                                     STORAGE_CLASSES)
        self.cloudbox_id = spec.get("cloudbox_id")
        self.acl = _choice(where + ".acl", spec.get("acl", "private"), ("private", "public-read", "public-read-write"))
        self.redundancy = _choice(where + ".redundancy", spec.get("redundancy", "LRS"), ("LRS", "ZRS"))
        self.versioning = spec.get("versioning")
        self.created = scenario.now - datetime.timedelta(days=float(spec.get("created_days_ago", 400)))
        self.objects = {}
        for index, obj in enumerate(spec.get("objects") or []):
            self._add_objects(obj, scenario, "%s.objects[%d]" % (where, index))
        self.inventory_specs = spec.get("inventories") or []
        self.inventories = []

    def _add_objects(self, spec, scenario, where):
        _check_keys(where, spec, ("key", "prefix", "count", "size", "storage_class", "acl", "age_days", "type"))
        storage_class = _choice(where + ".storage_class", spec.get("storage_class", self.storage_class),
                                STORAGE_CLASSES)
        acl = _choice(where + ".acl", spec.get("acl", "default"), OBJECT_ACLS)
        modified = scenario.now - datetime.timedelta(days=float(spec.get("age_days", 1)))
        if "key" in spec:
            keys = [spec["key"]]
        elif "prefix" in spec and "count" in spec:  # many objects, for the bounded sample
            keys = ["%s%06d" % (spec["prefix"], n) for n in range(int(spec["count"]))]
        else:
            raise ValueError("%s: give `key`, or `prefix` and `count`" % where)
        for key in keys:
            self.objects[key] = StoredObject(key, size=spec.get("size", 1024), storage_class=storage_class, acl=acl,
                                             modified=modified, object_type=spec.get("type", "Normal"))

    def add(self, obj):
        self.objects[obj.key] = obj

    @property
    def location(self):
        return "oss-" + self.region

    def endpoints(self):
        """(extranet, intranet): a CloudBox bucket is reached through its CloudBox's data endpoint."""
        if self.cloudbox_id:
            endpoint = "%s.%s.oss-cloudbox.aliyuncs.com" % (self.cloudbox_id, self.region)
            return endpoint, endpoint
        return "oss-%s.aliyuncs.com" % self.region, "oss-%s-internal.aliyuncs.com" % self.region


class Inventory:
    KEYS = ("id", "enabled", "frequency", "destination", "prefix", "optional_fields", "included_versions",
            "filter_prefix", "manifests", "account_id", "role_arn")

    def __init__(self, spec, source, scenario, where):
        _check_keys(where, spec, self.KEYS)
        self.id = spec["id"]
        self.enabled = bool(spec.get("enabled", True))
        self.frequency = _choice(where + ".frequency", spec.get("frequency", "Daily"), FREQUENCIES)
        self.destination = spec.get("destination", source.name)
        if self.destination not in scenario.buckets:
            raise ValueError("%s.destination: no bucket %r in the scenario" % (where, self.destination))
        self.prefix = spec.get("prefix", "")
        self.fields = list(spec.get("optional_fields", ["Size", "LastModifiedDate", "StorageClass"]))
        for field in self.fields:
            _choice(where + ".optional_fields", field, OPTIONAL_FIELDS)
        self.included_versions = _choice(where + ".included_versions", spec.get("included_versions", "Current"),
                                         ("All", "Current"))
        self.filter_prefix = spec.get("filter_prefix")
        self.account_id = str(spec.get("account_id", scenario.owner_id))
        self.role_arn = spec.get("role_arn", "acs:ram::%s:role/AliyunOSSRole" % scenario.owner_id)
        self.manifests = []
        for index, manifest in enumerate(spec.get("manifests") or []):
            _check_keys("%s.manifests[%d]" % (where, index), manifest, ("age_hours",))
            self.manifests.append(self._publish(source, scenario, float(manifest["age_hours"])))

    def folder(self, source_name):
        """`<dest prefix>/<source bucket>/<inventory id>/`; no prefix: that level is omitted."""
        parts = [self.prefix.strip("/")] if self.prefix.strip("/") else []
        return "/".join(parts + [source_name, self.id]) + "/"

    def _publish(self, source, scenario, age_hours):
        """What OSS writes for one run: data/<uuid>.csv.gz, then <timestamp>/manifest.json and .checksum."""
        created = scenario.now - datetime.timedelta(hours=age_hours)
        folder = self.folder(source.name)
        rows = []
        for obj in sorted(source.objects.values(), key=lambda o: o.key):
            if self.filter_prefix and not obj.key.startswith(self.filter_prefix):
                continue
            if obj.modified > created:
                continue  # the run saw the bucket as it was then
            rows.append(self._row(source.name, obj))
        data = gzip.compress(("".join(rows)).encode("utf-8"), mtime=0)
        data_key = "%sdata/%s.csv.gz" % (folder, uuid.UUID(bytes=hashlib.md5(
            ("%s%s%s" % (folder, age_hours, len(rows))).encode()).digest()))
        destination = scenario.buckets[self.destination]
        destination.add(StoredObject(data_key, data, modified=created, content_type="application/x-gzip"))
        manifest = {
            "creationTimestamp": str(int(created.timestamp())),
            "destinationBucket": self.destination,
            "fileFormat": "CSV",
            "fileSchema": ", ".join(["Bucket", "Key"] + self.fields),
            "files": [{"MD5checksum": hashlib.md5(data).hexdigest().upper(), "key": data_key, "size": len(data)}],
            "sourceBucket": source.name,
            "version": "2019-09-01",
        }
        body = json.dumps(manifest, indent=2).encode("utf-8")
        stamp = created.strftime("%Y-%m-%dT%H-%MZ")
        manifest_key = "%s%s/manifest.json" % (folder, stamp)
        destination.add(StoredObject(manifest_key, body, modified=created, content_type="application/json"))
        destination.add(StoredObject("%s%s/manifest.checksum" % (folder, stamp),
                                     hashlib.md5(body).hexdigest().upper().encode(), modified=created))
        return {"key": manifest_key, "created": created, "rows": len(rows)}

    def _row(self, bucket, obj):
        values = {"Size": str(obj.size), "LastModifiedDate": iso(obj.modified), "ETag": obj.etag.strip('"'),
                  "StorageClass": obj.storage_class, "IsMultipartUploaded": "false", "EncryptionStatus": "false",
                  "TransitionTime": "", "ObjectAcl": obj.acl, "TaggingCount": "0", "ObjectType": obj.object_type,
                  "Crc64": "0"}
        cells = [bucket, quote(obj.key, safe="")] + [values[field] for field in self.fields]
        return ",".join('"%s"' % cell for cell in cells) + "\n"


class Scenario:
    KEYS = ("region", "owner_id", "credentials", "behaviour", "buckets")

    def __init__(self, spec=None, now=None):
        spec = spec or {}
        _check_keys("scenario", spec, self.KEYS)
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        self.region = spec.get("region", "cn-hangzhou")
        self.owner_id = str(spec.get("owner_id", "1234567890123456"))
        self.credentials = {}
        self.denied = {}
        for index, cred in enumerate(spec.get("credentials") or []):
            where = "credentials[%d]" % index
            _check_keys(where, cred, ("access_key_id", "access_key_secret", "security_token", "denied"))
            self.credentials[cred["access_key_id"]] = {"secret": cred["access_key_secret"],
                                                       "token": cred.get("security_token")}
            self.denied[cred["access_key_id"]] = [self._denial(d, where) for d in cred.get("denied") or []]
        behaviour = spec.get("behaviour") or {}
        _check_keys("behaviour", behaviour, ("mode", "delay_seconds", "drop_on", "delay_on"))
        self.mode = _choice("behaviour.mode", behaviour.get("mode", "normal"), MODES)
        self.delay = float(behaviour.get("delay_seconds", 0))
        self.delay_on = behaviour.get("delay_on")    # operation names; absent: every operation
        self.drop_on = behaviour.get("drop_on")      # operation names; absent with mode drop: every one
        self.buckets = {}
        specs = spec.get("buckets") or []
        for index, bucket in enumerate(specs):
            created = Bucket(bucket, self, "buckets[%d]" % index)
            created.region = self.region
            if created.name in self.buckets:
                raise ValueError("buckets[%d]: bucket %r twice" % (index, created.name))
            self.buckets[created.name] = created
        for index, bucket in enumerate(self.buckets.values()):  # destinations exist before manifests are written
            bucket.inventories = [Inventory(inv, bucket, self, "buckets[%d].inventories[%d]" % (index, n))
                                  for n, inv in enumerate(bucket.inventory_specs)]

    @staticmethod
    def _denial(text, where):
        action, _on, bucket = str(text).partition(" on ")
        _choice(where + ".denied", action, ACTIONS)
        return action, bucket or None

    @classmethod
    def load(cls, source, now=None):
        if isinstance(source, Scenario):
            return source
        if isinstance(source, (str, os.PathLike)):
            with open(source) as handle:
                source = json.load(handle) if str(source).endswith(".json") else yaml.safe_load(handle)
        return cls(source, now=now)

    def scopes(self):
        """The (region, product) pairs requests may be signed for: the region, and each CloudBox."""
        scopes = {(self.region, "oss")}
        scopes.update((b.cloudbox_id, "oss-cloudbox") for b in self.buckets.values() if b.cloudbox_id)
        return scopes

    def bucket(self, name, scope):
        """The bucket `name` as seen from a request signed for `scope`: a CloudBox bucket exists only
        in its CloudBox, a region bucket only in the region."""
        bucket = self.buckets.get(name)
        if bucket is None:
            return None
        wanted = (bucket.cloudbox_id, "oss-cloudbox") if bucket.cloudbox_id else (self.region, "oss")
        return bucket if tuple(scope) == wanted else None

    def is_denied(self, access_key_id, action, bucket):
        return any(a == action and (b is None or b == bucket) for a, b in self.denied.get(access_key_id, ()))


def continuation_token(key):
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def token_key(token):
    return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
