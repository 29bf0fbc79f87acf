"""The OSS judges on plain data, the parsing of manifests and inventory files, the classification
of SDK failures, and the validation of the options."""
import datetime
import json

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import bucket as B
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import connection as C
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import engine as E
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import gathering as G
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import inventory as I
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oss import objects as O
from ansible_collections.cloudbackup.precheck.tests.support.results import one

NOW = datetime.datetime(2026, 12, 2, 8, 0, tzinfo=datetime.timezone.utc)
T = "oss://bk"
SETTINGS = {"endpoint_label": "oss-cn-hangzhou.aliyuncs.com", "access_key_id": "LTAIkey", "region": "cn-hangzhou",
            "connect_timeout": 2.0, "read_timeout": 3.0}


def inv(**extra):
    base = {"id": "daily", "enabled": True, "frequency": "Daily", "destination_bucket": "bk-dest", "prefix": "inv",
            "format": "CSV", "fields": ["Size", "StorageClass"], "filter_prefix": None}
    base.update(extra)
    return base


def manifests(hours_old=None):
    newest = None
    if hours_old is not None:
        newest = {"key": "inv/bk/daily/x/manifest.json", "created": NOW - datetime.timedelta(hours=hours_old),
                  "schema": ["Bucket", "Key", "StorageClass"], "files": []}
    return {"destination": "bk-dest", "folder": "inv/bk/daily/", "folders": 3, "newest": newest}


# -- bucket items -------------------------------------------------------------------------------

@pytest.mark.parametrize("storage_class,status,code", [
    ("Standard", "passed", "passed"), ("IA", "warning", "ia_bucket"), ("Archive", "failed", "archive_bucket"),
    ("ColdArchive", "failed", "archive_bucket"), ("DeepColdArchive", "failed", "archive_bucket"),
    ("Gold", "warning", "unknown_class")])
def test_bucket_storage_class(storage_class, status, code):
    result = one(B.judge_bucket_storage_class(T, "bk", storage_class))
    assert (result["status"], result["code"]) == (status, code)
    assert "oss://bk" in result["message"]
    if status == "failed":
        assert "ossutil" in result["remediation"] and "cannot be changed" in result["remediation"]


def test_cold_archive_bucket_names_the_class():
    assert "Cold Archive storage class" in one(B.judge_bucket_storage_class(T, "bk", "ColdArchive"))["message"]


def test_cloudbox_from_the_option_or_from_the_bucket_endpoints():
    regional = {"location": "oss-cn-hangzhou", "extranet_endpoint": "oss-cn-hangzhou.aliyuncs.com",
                "intranet_endpoint": "oss-cn-hangzhou-internal.aliyuncs.com"}
    assert one(B.judge_cloudbox(T, "bk", regional, None))["status"] == "passed"
    boxed = dict(regional, extranet_endpoint="cb-abc123.cn-hangzhou.oss-cloudbox.aliyuncs.com")
    result = one(B.judge_cloudbox(T, "bk", boxed, None))
    assert (result["status"], result["code"], result["details"]["cloudbox_id"]) == ("failed", "cloudbox_bucket",
                                                                                    "cb-abc123")
    assert "CloudBox cb-x9" in one(B.judge_cloudbox(T, "bk", regional, "cb-x9"))["message"]


def test_connection_no_such_bucket_fails_and_other_errors_keep_their_cause():
    missing = C.OssCallError("protocol", "GetBucketInfo failed", code="NoSuchBucket", details={"code": "NoSuchBucket"})
    result = one(B.judge_connection(T, "bk", "ep", error=missing))
    assert (result["status"], result["code"]) == ("failed", "no_such_bucket")
    denied = C.OssCallError("permission", "denied", "grant it")
    result = one(B.judge_connection(T, "bk", "ep", error=denied))
    assert (result["status"], result["cause"], result["remediation"]) == ("error", "permission", "grant it")


# -- failures of the SDK ------------------------------------------------------------------------

def sdk_service_error(code, status=403):
    oss = pytest.importorskip("alibabacloud_oss_v2")
    inner = oss.exceptions.ServiceError(status_code=status, code=code, message="msg", request_id="RID", ec="",
                                        timestamp="", request_target="GET x")
    return oss.exceptions.OperationError(name="op", error=inner)


@pytest.mark.parametrize("operation,action", [("GetBucketInfo", "oss:GetBucketInfo"),
                                              ("ListBucketInventory", "oss:GetBucketInventory"),
                                              ("ListObjectsV2", "oss:ListObjects"), ("GetObject", "oss:GetObject"),
                                              ("GetObjectAcl", "oss:GetObjectAcl")])
def test_access_denied_names_the_ram_action(operation, action):
    error = C.classify(sdk_service_error("AccessDenied"), operation, "bk", SETTINGS)
    assert error.cause == "permission" and error.details["action"] == action
    assert action in error.message and "LTAIkey" in error.message
    assert '"Action": ["%s"]' % action in error.remediation
    assert ("acs:oss:*:*:bk/*" in error.remediation) == (operation in ("GetObject", "GetObjectAcl"))


@pytest.mark.parametrize("code", ["SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed"])
def test_credential_errors_are_login_failures(code):
    error = C.classify(sdk_service_error(code), "GetBucketInfo", "bk", SETTINGS)
    assert (error.cause, error.code) == ("login_failed", code)
    assert ("clock" in error.remediation) == (code == "RequestTimeTooSkewed")


def test_network_failures_are_classified_from_the_wrapped_exceptions():
    import socket
    oss = pytest.importorskip("alibabacloud_oss_v2")
    import requests

    def wrapped(inner):
        return oss.exceptions.OperationError(name="op", error=oss.exceptions.RequestError(error=inner))
    dns = requests.exceptions.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert C.classify(wrapped(dns), "GetBucketInfo", "bk", SETTINGS).cause == "dns"
    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    assert C.classify(wrapped(refused), "GetBucketInfo", "bk", SETTINGS).cause == "refused"
    tls = requests.exceptions.SSLError("certificate verify failed")
    assert C.classify(wrapped(tls), "GetBucketInfo", "bk", SETTINGS).cause == "tls"
    slow = oss.exceptions.OperationError(name="op", error=oss.exceptions.ResponseError(
        error=requests.exceptions.ReadTimeout("Read timed out")))
    error = C.classify(slow, "GetBucketInfo", "bk", SETTINGS)
    assert error.cause == "timeout" and "read_timeout 3s" in error.message


def test_region_and_cloudbox_from_the_endpoint():
    assert C.endpoint_region("oss-cn-hangzhou-internal.aliyuncs.com") == "cn-hangzhou"
    assert C.endpoint_region("https://oss-ap-southeast-1.aliyuncs.com") == "ap-southeast-1"
    assert C.endpoint_region("http://127.0.0.1:9000") is None
    assert C.endpoint_cloudbox("cb-f8z7.cn-shenzhen.oss-cloudbox.aliyuncs.com") == "cb-f8z7"
    settings = C.resolve_settings(dict((name, None) for name in C.CONNECTION_ARGS),)
    assert settings["region"] is None
    settings = C.resolve_settings(dict(dict((name, None) for name in C.CONNECTION_ARGS),
                                       endpoint="cb-f8z7.cn-shenzhen.oss-cloudbox.aliyuncs.com"))
    assert (settings["region"], settings["cloudbox_id"]) == ("cn-shenzhen", "cb-f8z7")


# -- inventory items ----------------------------------------------------------------------------

def test_inventory_configured():
    result = one(I.judge_inventory_configured(T, "bk", [], None, None))
    assert (result["status"], result["code"]) == ("failed", "no_inventory")
    assert "PutBucketInventory" in result["remediation"] and "Bucket Inventory" in result["remediation"]
    result = one(I.judge_inventory_configured(T, "bk", [inv()], "weekly", None))
    assert (result["code"], "'weekly'" in result["message"]) == ("inventory_not_found", True)
    result = one(I.judge_inventory_configured(T, "bk", [inv(enabled=False)], None, None))
    assert result["code"] == "disabled" and "every inventory (daily) is disabled" in result["message"]
    gone = C.OssCallError("protocol", "no bucket", code="NoSuchBucket")
    result = one(I.judge_inventory_configured(T, "bk", [inv()], None, inv(folder="inv/bk/daily/"), gone))
    assert (result["status"], result["code"]) == ("failed", "destination_missing")
    denied = C.OssCallError("permission", "ListObjectsV2 denied", "grant oss:ListObjects", details={"x": 1})
    result = one(I.judge_inventory_configured(T, "bk", [inv()], None, inv(folder="f/"), denied))
    assert (result["status"], result["cause"]) == ("error", "permission")
    result = one(I.judge_inventory_configured(T, "bk", [inv()], None, inv(folder="inv/bk/daily/")))
    assert result["status"] == "passed" and "oss://bk-dest/inv/bk/daily/" in result["message"]


@pytest.mark.parametrize("hours,status,code", [
    (None, "failed", "no_manifest"), (8 * 24, "failed", "too_old"), (7 * 24, "failed", "too_old"),
    (3 * 24, "warning", "overdue"), (30, "passed", "passed")])
def test_inventory_fresh(hours, status, code):
    result = one(I.judge_inventory_fresh(T, "bk", inv(), manifests(hours), NOW))
    assert (result["status"], result["code"]) == (status, code)
    if code == "too_old":
        assert "last 7 days" in result["message"] and "%.1f days" % (hours / 24.0) in result["message"]


def test_inventory_fresh_weekly_inventory_is_not_overdue_at_three_days():
    assert one(I.judge_inventory_fresh(T, "bk", inv(frequency="Weekly"), manifests(72), NOW))["status"] == "passed"


def test_inventory_fresh_without_inventory():
    assert one(I.judge_inventory_fresh(T, "bk", None, None, NOW))["code"] == "no_inventory"


def test_manifest_since_last_backup():
    last = NOW - datetime.timedelta(days=1)
    result = one(I.judge_since_last_backup(T, "bk", inv(), manifests(30), last))
    assert (result["status"], result["code"]) == ("failed", "not_updated")
    assert "2026-12-01 08:00 UTC" in result["message"]
    assert one(I.judge_since_last_backup(T, "bk", inv(), manifests(2), last))["status"] == "passed"
    assert one(I.judge_since_last_backup(T, "bk", inv(), manifests(None), last))["status"] == "skipped"


@pytest.mark.parametrize("frequency,interval,status,code", [
    ("Daily", 24, "passed", "passed"), ("Daily", 12, "failed", "too_short"), ("Weekly", 24, "failed", "too_short"),
    ("Weekly", 168, "passed", "passed"), ("Monthly", 168, "failed", "too_short"), ("Once", 24, "failed", "once")])
def test_interval_vs_inventory(frequency, interval, status, code):
    result = one(I.judge_interval(T, "bk", inv(frequency=frequency), float(interval)))
    assert (result["status"], result["code"]) == (status, code)


def test_parse_time_forms():
    assert I.parse_time("2026-12-01T02:00:00Z") == datetime.datetime(2026, 12, 1, 2, tzinfo=datetime.timezone.utc)
    assert I.parse_time("2026-12-01 10:00+08:00") == datetime.datetime(2026, 12, 1, 2, tzinfo=datetime.timezone.utc)
    assert I.parse_time("2026-12-01T02:00").tzinfo == datetime.timezone.utc
    with pytest.raises(ValueError):
        I.parse_time("yesterday")


# -- manifests and inventory files --------------------------------------------------------------

def test_inventory_folder_with_and_without_prefix():
    assert G.inventory_folder(inv(prefix="a/b/"), "bk") == "a/b/bk/daily/"
    assert G.inventory_folder(inv(prefix=""), "bk") == "bk/daily/"
    expected = datetime.datetime(2026, 11, 30, 16, tzinfo=datetime.timezone.utc)
    assert G.folder_time("a/bk/daily/2026-11-30T16-00Z/") == expected
    assert G.folder_time("a/bk/daily/data/") is None
    assert G.parse_destination_bucket("acs:oss:::bk-dest") == "bk-dest"


def test_parse_manifest_and_inventory_rows():
    body = json.dumps({"creationTimestamp": "1764662400", "fileSchema": "Bucket, Key, StorageClass, ObjectAcl",
                       "files": [{"key": "inv/bk/daily/data/x.csv.gz", "size": 10}], "fileFormat": "CSV"}).encode()
    manifest = G.parse_manifest(body, "m.json", None)
    assert manifest["created"] == datetime.datetime(2025, 12, 2, 8, tzinfo=datetime.timezone.utc)
    assert manifest["schema"] == ["Bucket", "Key", "StorageClass", "ObjectAcl"]
    rows = G.parse_inventory_csv('"bk","a%2Fb%20c.txt","Archive","default"\n"bk","d","IA","public-read"\n',
                                 manifest["schema"], 10)
    assert rows[0]["Key"] == "a/b c.txt" and rows[1]["ObjectAcl"] == "public-read"
    assert len(G.parse_inventory_csv('"bk","a","IA","x"\n' * 5, manifest["schema"], 3)) == 3
    with pytest.raises(G.PrecheckError):
        G.parse_manifest(b"not json", "m.json", None)


# -- object items -------------------------------------------------------------------------------

def test_archive_objects_fail_with_examples_and_counts():
    objects = [{"key": "k%d" % n, "storage_class": cls} for n, cls in enumerate(
        ["Standard", "Archive", "ColdArchive", "ColdArchive", "DeepColdArchive", "IA"] + ["Archive"] * 5)]
    result = one(O.judge_object_storage_classes(T, "bk", objects, "the inventory", True))
    assert (result["status"], result["code"]) == ("failed", "archived_objects")
    assert "9 objects in the inventory" in result["message"]
    assert "6 Archive, 2 Cold Archive, 1 Deep Cold Archive" in result["message"]
    assert "k1, k2, k3, k4, k6 and 4 more" in result["message"]
    assert result["details"]["by_storage_class"]["IA"] == 1


def test_ia_objects_warn_and_a_partial_sample_says_so():
    result = one(O.judge_object_storage_classes(T, "bk", [{"key": "a", "storage_class": "IA"}], "a sample", False))
    assert (result["status"], result["code"]) == ("warning", "ia_objects")
    result = one(O.judge_object_storage_classes(T, "bk", [{"key": "a", "storage_class": "Standard"}], "a sample",
                                                False))
    assert result["status"] == "passed" and "beyond the sample were not checked" in result["message"]


def test_describe_sample():
    sample = {"objects": [{}] * 3, "complete": False, "stopped": "seconds"}
    assert O.describe_sample(sample, "bk", 1000, 2.5, "no inventory manifest") == \
        "a listing sample of the first 3 objects of oss://bk (sample_seconds = 2.5; no inventory manifest)"
    assert O.describe_sample(dict(sample, complete=True), "bk", 1000, 2.5, "why").startswith("all 3 objects")


def test_object_acls():
    result = one(O.judge_object_acls(T, "bk", {"a": "default", "b": "public-read", "c": "private"}, "src", True))
    assert (result["status"], result["code"]) == ("warning", "object_acls")
    assert "2 objects in src have their own ACL (1 private, 1 public-read)" in result["message"]
    assert "1 are public (b)" in result["message"] and "PutObjectAcl" in result["remediation"]
    assert one(O.judge_object_acls(T, "bk", {"a": "default"}, "src", True))["status"] == "passed"


# -- options ------------------------------------------------------------------------------------

def params(**extra):
    base = dict((name, decl.get("default")) for name, decl in E.ENGINE.all_options().items())
    base.update(region="cn-hangzhou", access_key_id="LTAIkey", access_key_secret="s", buckets=["bk-a"])
    base.update(extra)
    return base


def test_valid_options_pass():
    assert E.validate(params()) == []
    assert E.validate(params(region=None, endpoint="oss-cn-beijing.aliyuncs.com")) == []


@pytest.mark.parametrize("extra,fragment", [
    ({"buckets": ["Bad_Name"]}, "buckets: 'Bad_Name' is not a bucket name"),
    ({"buckets": []}, "buckets: give at least one bucket name"),
    ({"region": None}, "region: required unless endpoint is a region endpoint"),
    ({"region": "hangzhou"}, "region: 'hangzhou' is not a region id"),
    ({"access_key_secret": None}, "access_key_id and access_key_secret: both are required"),
    ({"connect_timeout": 0}, "connect_timeout: 0 is out of range (valid: a number greater than 0 and at most 86400)"),
    ({"last_backup_time": "last tuesday"}, "last_backup_time: 'last tuesday' is not an ISO 8601 time"),
    ({"backup_interval_hours": -1}, "backup_interval_hours: -1 is out of range (valid: a number greater than 0)"),
    ({"sample_objects": 0}, "sample_objects: 0 is out of range (valid: a number at least 1)"),
    ({"cloudbox_id": "box1"}, "cloudbox_id: 'box1' is not a CloudBox id"),
])
def test_invalid_options_name_the_option_and_the_valid_form(extra, fragment):
    problems = E.ENGINE.problems(params(**extra))
    assert any(fragment in p for p in problems), problems


def test_the_secrets_are_no_log_options():
    options = E.ENGINE.all_options()
    assert options["access_key_secret"]["no_log"] and options["security_token"]["no_log"]
