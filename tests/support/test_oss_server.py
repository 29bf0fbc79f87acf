"""Tests of the OSS API test server, through the real alibabacloud-oss-v2 SDK (and raw HTTP for the
requests the SDK would never send)."""
import datetime
import gzip
import http.client
import json
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oss_server import OssServer, Scenario  # noqa: E402
from oss_server import reference, signing  # noqa: E402

oss = pytest.importorskip("alibabacloud_oss_v2")

KEY_ID, SECRET = "LTAI5tTestKeyId0001", "Oss-secret-3f9c1a7e55"
SCENARIO = {
    "credentials": [{"access_key_id": KEY_ID, "access_key_secret": SECRET},
                    {"access_key_id": "STS.tmp", "access_key_secret": "tmp-secret", "security_token": "tok-1"},
                    {"access_key_id": "LTAIreadonly", "access_key_secret": "ro-secret",
                     "denied": ["oss:GetObjectAcl", "oss:ListObjects on bk-dest"]}],
    "buckets": [
        {"name": "bk-src", "objects": [{"key": "docs/a b+c.txt", "age_days": 10, "acl": "public-read"},
                                       {"prefix": "cold/", "count": 3, "storage_class": "ColdArchive",
                                        "age_days": 10},
                                       {"key": "new.txt", "age_days": 0.05}],
         "inventories": [{"id": "daily", "destination": "bk-dest", "prefix": "inv",
                          "optional_fields": ["Size", "StorageClass", "ObjectAcl"],
                          "manifests": [{"age_hours": 50}, {"age_hours": 2}]},
                         {"id": "weekly", "frequency": "Weekly", "enabled": False, "destination": "bk-dest"}]},
        {"name": "bk-dest"},
        {"name": "bk-box", "cloudbox_id": "cb-testbox01"},
    ],
}


def client(endpoint, key_id=KEY_ID, secret=SECRET, token=None, cloudbox=None, timeout=3):
    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(key_id, secret, token)
    config.region = "cn-hangzhou"
    config.endpoint = endpoint
    config.use_path_style = True
    config.retry_max_attempts = 1
    config.connect_timeout = config.readwrite_timeout = timeout
    if cloudbox:
        config.cloud_box_id = cloudbox
    return oss.Client(config)


def service_error(call):
    with pytest.raises(oss.exceptions.OperationError) as info:
        call()
    return info.value.unwrap()


@pytest.fixture(scope="module")
def server():
    with OssServer(SCENARIO) as srv:
        yield srv
        assert not srv.problems, srv.problems
    assert not srv.running
    with pytest.raises(ConnectionRefusedError):  # stopped: nothing is left listening
        socket.create_connection(("127.0.0.1", srv.port), 1).close()


def test_bucket_info_as_the_sdk_reads_it(server):
    info = client(server.endpoint).get_bucket_info(oss.GetBucketInfoRequest(bucket="bk-src")).bucket_info
    assert (info.name, info.storage_class, info.location) == ("bk-src", "Standard", "oss-cn-hangzhou")
    assert info.extranet_endpoint == "oss-cn-hangzhou.aliyuncs.com"
    assert server.records[-1]["operation"] == "GetBucketInfo" and server.records[-1]["access_key_id"] == KEY_ID


def test_a_wrong_secret_gets_signature_does_not_match_with_the_string_to_sign(server):
    error = service_error(lambda: client(server.endpoint, secret="wrong").get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-src")))
    assert (error.status_code, error.code) == (403, "SignatureDoesNotMatch")
    assert "OSS4-HMAC-SHA256\n" in error.error_fileds.get("StringToSign", "")


def test_an_unknown_access_key_and_a_wrong_sts_token(server):
    error = service_error(lambda: client(server.endpoint, key_id="LTAInobody").get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-src")))
    assert error.code == "InvalidAccessKeyId"
    ok = client(server.endpoint, "STS.tmp", "tmp-secret", "tok-1").get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-src"))
    assert ok.bucket_info.name == "bk-src"
    error = service_error(lambda: client(server.endpoint, "STS.tmp", "tmp-secret", "tok-2").get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-src")))
    assert error.code == "InvalidAccessKeyId"


def test_signature_verification_follows_the_documented_canonical_request():
    """Recompute one request by hand from the documented rules and check that verify() agrees."""
    headers = {"x-oss-date": "20261202T080000Z", "x-oss-content-sha256": "UNSIGNED-PAYLOAD",
               "content-type": "application/xml", "host": "127.0.0.1"}
    auth = {"access_key_id": "AK", "date": "20261202", "region": "cn-hangzhou", "product": "oss", "additional": []}
    text = signing.string_to_sign("GET", "bk-src", None, [("inventory", ""), ("inventoryId", "a b")], headers, auth)
    canonical = "GET\n/bk-src/\ninventory&inventoryId=a%20b\ncontent-type:application/xml\nx-oss-content-sha256:" \
                "UNSIGNED-PAYLOAD\nx-oss-date:20261202T080000Z\n\n\nUNSIGNED-PAYLOAD"
    import hashlib
    assert text == "OSS4-HMAC-SHA256\n20261202T080000Z\n20261202/cn-hangzhou/oss/aliyun_v4_request\n" + \
        hashlib.sha256(canonical.encode()).hexdigest()
    headers["authorization"] = "OSS4-HMAC-SHA256 Credential=AK/20261202/cn-hangzhou/oss/aliyun_v4_request," \
                               "Signature=" + signing.signature("sk", auth, text)
    now = datetime.datetime(2026, 12, 2, 8, 5, tzinfo=datetime.timezone.utc)
    assert signing.verify("GET", "bk-src", None, [("inventory", ""), ("inventoryId", "a b")], headers,
                          {"AK": {"secret": "sk"}}, {("cn-hangzhou", "oss")}, now) == ("AK", ("cn-hangzhou", "oss"))
    with pytest.raises(signing.SignatureFailure) as skewed:
        signing.verify("GET", "bk-src", None, [("inventory", ""), ("inventoryId", "a b")], headers,
                       {"AK": {"secret": "sk"}}, {("cn-hangzhou", "oss")}, now + datetime.timedelta(minutes=20))
    assert skewed.value.code == "RequestTimeTooSkewed"
    headers["authorization"] = headers["authorization"].replace("Signature=", "AdditionalHeaders=host;,Signature=")
    with pytest.raises(signing.SignatureFailure) as trailing:
        signing.verify("GET", "bk-src", None, [], headers, {"AK": {"secret": "sk"}}, {("cn-hangzhou", "oss")}, now)
    assert trailing.value.code == "InvalidArgument"


def test_inventories_and_the_manifest_layout(server):
    c = client(server.endpoint)
    listing = c.list_bucket_inventory(oss.ListBucketInventoryRequest(bucket="bk-src"))
    configs = listing.list_inventory_configurations_result.inventory_configurations
    seen = [(i.id, i.is_enabled, i.schedule.frequency) for i in configs]
    assert seen == [("daily", True, "Daily"), ("weekly", False, "Weekly")]
    assert configs[0].destination.oss_bucket_destination.bucket == "acs:oss:::bk-dest"
    one = c.get_bucket_inventory(oss.GetBucketInventoryRequest(bucket="bk-src", inventory_id="daily"))
    assert one.inventory_configuration.optional_fields.fields == ["Size", "StorageClass", "ObjectAcl"]
    missing = service_error(lambda: c.get_bucket_inventory(oss.GetBucketInventoryRequest(bucket="bk-src",
                                                                                         inventory_id="nope")))
    assert missing.code == "NoSuchInventory"
    folders = c.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-dest", prefix="inv/bk-src/daily/",
                                                         delimiter="/"))
    prefixes = [p.prefix for p in folders.common_prefixes]
    assert len(prefixes) == 3 and prefixes[-1] == "inv/bk-src/daily/data/"
    newest = prefixes[1]
    stamp = datetime.datetime.strptime(newest.split("/")[-2], "%Y-%m-%dT%H-%MZ").replace(
        tzinfo=datetime.timezone.utc)
    assert abs((server.scenario.now - stamp).total_seconds() - 2 * 3600) < 120
    manifest = json.loads(c.get_object(oss.GetObjectRequest(bucket="bk-dest", key=newest + "manifest.json"))
                          .body.read())
    assert manifest["fileSchema"] == "Bucket, Key, Size, StorageClass, ObjectAcl"
    assert manifest["sourceBucket"] == "bk-src" and manifest["destinationBucket"] == "bk-dest"
    data = c.get_object(oss.GetObjectRequest(bucket="bk-dest", key=manifest["files"][0]["key"])).body.read()
    rows = gzip.decompress(data).decode().splitlines()
    # The 2-hour-old run saw the objects older than itself, keys URL-encoded, values quoted; new.txt is newer.
    assert rows[0] == '"bk-src","cold%2F000000","1024","ColdArchive","default"'
    assert '"bk-src","docs%2Fa%20b%2Bc.txt","1024","Standard","public-read"' in rows
    assert len(rows) == 4


def test_listing_pages_encodes_keys_and_refuses_undocumented_parameters(server):
    c = client(server.endpoint)
    first = c.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-src", max_keys=2))
    assert [o.key for o in first.contents] == ["cold/000000", "cold/000001"] and first.is_truncated
    rest = c.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-src", max_keys=10,
                                                      continuation_token=first.next_continuation_token))
    assert [o.key for o in rest.contents] == ["cold/000002", "docs/a b+c.txt", "new.txt"]
    assert rest.contents[0].storage_class == "ColdArchive" and not rest.is_truncated
    bad = service_error(lambda: c.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-src", max_keys=5000)))
    assert (bad.status_code, bad.code) == (400, "InvalidArgument")
    assert service_error(lambda: c.list_objects(oss.ListObjectsRequest(bucket="bk-src"))).code == "NotImplemented"


def test_write_operations_are_refused(server):
    error = service_error(lambda: client(server.endpoint).put_object(oss.PutObjectRequest(
        bucket="bk-src", key="x", body=b"data")))
    assert (error.status_code, error.code) == (405, "MethodNotAllowed")
    assert "x" not in server.scenario.buckets["bk-src"].objects


def test_object_acl_archive_objects_and_denials(server):
    c = client(server.endpoint)
    assert c.get_object_acl(oss.GetObjectAclRequest(bucket="bk-src", key="docs/a b+c.txt")).acl == "public-read"
    frozen = service_error(lambda: c.get_object(oss.GetObjectRequest(bucket="bk-src", key="cold/000000")))
    assert frozen.code == "InvalidObjectState"
    ro = client(server.endpoint, "LTAIreadonly", "ro-secret")
    assert service_error(lambda: ro.get_object_acl(oss.GetObjectAclRequest(bucket="bk-src", key="new.txt"))
                         ).code == "AccessDenied"
    assert ro.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-src")).key_count == 5
    assert service_error(lambda: ro.list_objects_v2(oss.ListObjectsV2Request(bucket="bk-dest"))).code == \
        "AccessDenied"


def test_a_cloudbox_bucket_exists_only_for_requests_signed_for_its_cloudbox(server):
    assert service_error(lambda: client(server.endpoint).get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-box"))).code == "NoSuchBucket"
    info = client(server.endpoint, cloudbox="cb-testbox01").get_bucket_info(
        oss.GetBucketInfoRequest(bucket="bk-box")).bucket_info
    assert info.extranet_endpoint == "cb-testbox01.cn-hangzhou.oss-cloudbox.aliyuncs.com"
    assert server.records[-1]["operation"] == "GetBucketInfo"


def test_virtual_hosted_addressing(server, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # bk-src.oss-test.example -> the server, in this process only
        return real("127.0.0.1" if host.endswith(".oss-test.example") else host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(KEY_ID, SECRET)
    config.region, config.endpoint, config.retry_max_attempts = "cn-hangzhou", "http://oss-test.example:%d" \
        % server.port, 1
    info = oss.Client(config).get_bucket_info(oss.GetBucketInfoRequest(bucket="bk-src")).bucket_info
    assert info.name == "bk-src"
    assert server.records[-1]["path"] == "/?bucketInfo="


def test_the_reference_refuses_an_undocumented_element_or_value():
    body = b"<BucketInfo><Bucket><Name>x</Name><Colour>red</Colour><StorageClass>Gold</StorageClass></Bucket></BucketInfo>"
    problems = reference.check_response("GetBucketInfo", body)
    assert problems == ["BucketInfo/Bucket/Colour: not a documented element",
                        "BucketInfo/Bucket/StorageClass: 'Gold' is not one of "
                        "['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive']"]
    assert reference.check_error(b"<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>") == []


def test_a_typo_in_a_scenario_fails_loudly():
    with pytest.raises(ValueError, match="unknown key"):
        Scenario({"buckets": [{"name": "bk-a", "storage_klass": "IA"}]})
    with pytest.raises(ValueError, match="no bucket 'bk-missing'"):
        Scenario({"buckets": [{"name": "bk-a", "inventories": [{"id": "i", "destination": "bk-missing"}]}]})


def _raw_get(port, timeout):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/bk-src/?bucketInfo")
        return conn.getresponse().status
    finally:
        conn.close()


def test_misbehaviours_refuse_silent_drop_and_slow():
    base = dict(SCENARIO)
    with OssServer(dict(base, behaviour={"mode": "refuse"})) as srv:
        with pytest.raises(ConnectionRefusedError):
            _raw_get(srv.port, 1)
    with OssServer(dict(base, behaviour={"mode": "silent"})) as srv:
        started = time.monotonic()
        with pytest.raises(socket.timeout):
            _raw_get(srv.port, 0.5)
        assert time.monotonic() - started < 2
    stopped = time.monotonic()
    assert stopped - started < 3, "stop() must not wait for the silent handler"
    with OssServer(dict(base, behaviour={"mode": "drop", "drop_on": ["GetBucketInfo"]})) as srv:
        error = service_error(lambda: client(srv.endpoint).get_bucket_info(oss.GetBucketInfoRequest(bucket="bk-src")))
        assert "RemoteDisconnected" in repr(error) or "Connection aborted" in str(error)
        assert client(srv.endpoint).list_bucket_inventory(oss.ListBucketInventoryRequest(bucket="bk-src"))
    with OssServer(dict(base, behaviour={"delay_seconds": 1.5, "delay_on": ["GetBucketInfo"]})) as srv:
        started = time.monotonic()
        client(srv.endpoint).get_bucket_info(oss.GetBucketInfoRequest(bucket="bk-src"))
        assert 1.4 < time.monotonic() - started < 3
        error = service_error(lambda: client(srv.endpoint, timeout=0.5).get_bucket_info(
            oss.GetBucketInfoRequest(bucket="bk-src")))
        assert "Read timed out" in str(error)
