"""The XML bodies of the operations the server answers, built from the scenario's state. Every body
is checked against reference.yml by the server before it is sent."""
import xml.etree.ElementTree as ET
from urllib.parse import quote

from .scenario import continuation_token, iso, token_key


class ApiError(Exception):
    """An OSS error response: status, code, message and the extra elements of <Error>."""

    def __init__(self, status, code, message, **extra):
        super(ApiError, self).__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def _tree(tag, children):
    """children: list of (tag, text-or-list-of-children) in document order; None values are left out."""
    element = ET.Element(tag)
    for name, value in children:
        if value is None:
            continue
        if isinstance(value, list):
            element.append(_tree(name, value))
        else:
            ET.SubElement(element, name).text = str(value)
    return element


def serialize(element):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8")


def error_body(error, request_id, host_id):
    children = [("Code", error.code), ("Message", error.message), ("RequestId", request_id), ("HostId", host_id)]
    children.extend(sorted(error.extra.items()))
    return serialize(_tree("Error", children))


def _owner(scenario):
    return [("ID", scenario.owner_id), ("DisplayName", scenario.owner_id)]


def bucket_info(scenario, bucket):
    extranet, intranet = bucket.endpoints()
    return serialize(_tree("BucketInfo", [("Bucket", [
        ("AccessMonitor", "Disabled"),
        ("CreationDate", iso(bucket.created)),
        ("ExtranetEndpoint", extranet),
        ("IntranetEndpoint", intranet),
        ("Location", bucket.location),
        ("StorageClass", bucket.storage_class),
        ("TransferAcceleration", "Disabled"),
        ("CrossRegionReplication", "Disabled"),
        ("DataRedundancyType", bucket.redundancy),
        ("Name", bucket.name),
        ("ResourceGroupId", "rg-default-id"),
        ("Comment", ""),
        ("Versioning", bucket.versioning),
        ("BlockPublicAccess", "false"),
        ("Owner", _owner(scenario)),
        ("AccessControlList", [("Grant", bucket.acl)]),
        ("ServerSideEncryptionRule", [("SSEAlgorithm", "None")]),
        ("BucketPolicy", [("LogBucket", ""), ("LogPrefix", "")]),
    ])]))


def _inventory(inventory):
    destination = [
        ("Format", "CSV"),
        ("AccountId", inventory.account_id),
        ("RoleArn", inventory.role_arn),
        ("Bucket", "acs:oss:::%s" % inventory.destination),
        ("Prefix", inventory.prefix or None),
    ]
    filters = [("Prefix", inventory.filter_prefix)] if inventory.filter_prefix else None
    return [
        ("Id", inventory.id),
        ("IsEnabled", "true" if inventory.enabled else "false"),
        ("Filter", filters),
        ("Destination", [("OSSBucketDestination", destination)]),
        ("Schedule", [("Frequency", inventory.frequency)]),
        ("IncludedObjectVersions", inventory.included_versions),
        ("OptionalFields", [("Field", field) for field in inventory.fields]),
    ]


def get_inventory(bucket, inventory_id):
    for inventory in bucket.inventories:
        if inventory.id == inventory_id:
            return serialize(_tree("InventoryConfiguration", _inventory(inventory)))
    raise ApiError(404, "NoSuchInventory", "The specified inventory does not exist.", BucketName=bucket.name)


INVENTORY_PAGE = 100  # "A single request returns at most 100 inventory configurations"


def list_inventory(bucket, token):
    inventories = sorted(bucket.inventories, key=lambda inv: inv.id)
    if token:
        inventories = [inv for inv in inventories if inv.id > token_key(token)]
    page, rest = inventories[:INVENTORY_PAGE], inventories[INVENTORY_PAGE:]
    children = [("InventoryConfiguration", _inventory(inv)) for inv in page]
    children.append(("IsTruncated", "true" if rest else "false"))
    if rest:
        children.append(("NextContinuationToken", continuation_token(page[-1].id)))
    return serialize(_tree("ListInventoryConfigurationsResult", children))


def _max_keys(query):
    text = query.get("max-keys", "100")
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ApiError(400, "InvalidArgument", "Argument max-keys must be between 1 and 1000.",
                       ArgumentName="max-keys", ArgumentValue=text)
    return int(text)


def list_objects_v2(scenario, bucket, query):
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    if query.get("encoding-type", "url") != "url":
        raise ApiError(400, "InvalidArgument", "Argument encoding-type must be url.",
                       ArgumentName="encoding-type", ArgumentValue=query["encoding-type"])
    encode = (lambda text: quote(text, safe="")) if "encoding-type" in query else (lambda text: text)
    limit = _max_keys(query)
    after = query.get("start-after", "")
    if query.get("continuation-token"):
        try:
            after = max(after, token_key(query["continuation-token"]))
        except ValueError:
            raise ApiError(400, "InvalidArgument", "The continuation token is invalid.",
                           ArgumentName="continuation-token", ArgumentValue=query["continuation-token"])
    contents, prefixes, last, truncated = [], [], None, False
    for key in sorted(k for k in bucket.objects if k.startswith(prefix) and k > after):
        if len(contents) + len(prefixes) == limit:
            truncated = True
            break
        if delimiter and delimiter in key[len(prefix):]:
            common = key[:len(prefix) + key[len(prefix):].index(delimiter) + len(delimiter)]
            if prefixes and prefixes[-1] == common:
                continue
            if after.startswith(common):
                continue  # this prefix was returned on an earlier page
            prefixes.append(common)
            last = common + "\uffff"  # skip the rest of this prefix on the next page
            continue
        contents.append(bucket.objects[key])
        last = key
    children = [
        ("Name", bucket.name), ("Prefix", encode(prefix)),
        ("ContinuationToken", query.get("continuation-token")),
        ("StartAfter", encode(query["start-after"]) if query.get("start-after") else None),
        ("MaxKeys", limit), ("Delimiter", encode(delimiter) if delimiter else None),
        ("EncodingType", "url" if "encoding-type" in query else None),
        ("IsTruncated", "true" if truncated else "false"),
        ("NextContinuationToken", continuation_token(last) if truncated else None),
    ]
    for obj in contents:
        item = [("Key", encode(obj.key)), ("LastModified", iso(obj.modified)), ("ETag", obj.etag),
                ("Type", obj.object_type), ("Size", obj.size), ("StorageClass", obj.storage_class)]
        if query.get("fetch-owner") == "true":
            item.append(("Owner", _owner(scenario)))
        children.append(("Contents", item))
    children.extend(("CommonPrefixes", [("Prefix", encode(p))]) for p in prefixes)
    children.append(("KeyCount", len(contents) + len(prefixes)))
    return serialize(_tree("ListBucketResult", children))


def object_acl(scenario, obj):
    return serialize(_tree("AccessControlPolicy", [
        ("Owner", _owner(scenario)), ("AccessControlList", [("Grant", obj.acl)])]))


ARCHIVE_CLASSES = ("Archive", "ColdArchive", "DeepColdArchive")


def get_object(bucket, obj):
    if obj.storage_class in ARCHIVE_CLASSES:
        raise ApiError(403, "InvalidObjectState", "The operation is not valid for the object's state.",
                       Key=obj.key, BucketName=bucket.name)
    return obj.data or b"\0" * obj.size
