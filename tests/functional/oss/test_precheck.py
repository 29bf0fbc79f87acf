"""The OSS engine through ansible-playbook and the role, with the real alibabacloud-oss-v2 SDK against
the OSS API test server (tests/support/oss_server) on 127.0.0.1.

One playbook run at -vvv checks several bucket sets (cloudbackup_precheck_oss_buckets): one account
with buckets of every storage class, inventories of every state and a public-read object; a CloudBox
bucket; a wrong secret; an AccessKey without some RAM actions; and endpoints that time out, refuse,
do not resolve, speak the wrong TLS, hang up or answer too slowly. No secret may appear in the
output, the report files or the fact.
"""

import datetime
import json

import pytest

from endpoints import SilentListener, closed_port, self_signed_cert, HttpsServer
from harness import fact_play, local_inventory, run_playbook
from oss_server import OssServer

pytest.importorskip("alibabacloud_oss_v2")

NOW = datetime.datetime.now(datetime.timezone.utc)
KEY_ID, SECRET = "LTAI5tPrecheckKey01", "Oss-Secret-7c1d94be2a"
DENIED_ID, DENIED_SECRET = "LTAI5tDeniedKey0002", "Oss-Secret-denied-51e0aa"
WRONG_SECRET = "Oss-Secret-wrong-90b3f1"
SECRETS = (SECRET, DENIED_SECRET, WRONG_SECRET)
TIMEOUTS = {"connect_timeout": 2, "read_timeout": 2}
BOUND = 2 + 2 + 1  # seconds: connect + read + the thread's margin, per call

DAILY = {"destination": "bk-dest", "prefix": "inventory", "optional_fields": ["Size", "StorageClass"]}


def daily(name, **extra):
    return dict(DAILY, id=name, **extra)


SCENARIO = {
    "credentials": [{"access_key_id": KEY_ID, "access_key_secret": SECRET},
                    {"access_key_id": DENIED_ID, "access_key_secret": DENIED_SECRET,
                     "denied": ["oss:GetBucketInfo on bk-standard", "oss:GetBucketInventory",
                                "oss:GetObjectAcl"]}],
    "buckets": [
        {"name": "bk-dest"},
        {"name": "bk-standard", "objects": [{"prefix": "data/", "count": 40, "age_days": 30}],
         "inventories": [daily("daily", manifests=[{"age_hours": 30}, {"age_hours": 6}])]},
        {"name": "bk-ia", "storage_class": "IA", "objects": [{"key": "report.csv", "age_days": 3}]},
        {"name": "bk-archive", "storage_class": "Archive", "objects": [{"key": "old.tar", "age_days": 40}]},
        {"name": "bk-coldarchive", "storage_class": "ColdArchive"},
        # Archive-class objects only the inventory CSV shows (they are beyond the listing sample's reach).
        {"name": "bk-inv-archived",
         "objects": [{"prefix": "a/", "count": 30, "age_days": 20},
                     {"prefix": "z/frozen-", "count": 3, "storage_class": "Archive", "age_days": 20},
                     {"key": "z/cold.bin", "storage_class": "ColdArchive", "age_days": 20}],
         "inventories": [daily("daily", optional_fields=["StorageClass", "ObjectAcl"],
                               manifests=[{"age_hours": 5}])]},
        # No inventory: the listing sample finds them.
        {"name": "bk-sample-archived", "objects": [{"key": "keep.txt", "age_days": 2},
                                                   {"prefix": "vault/", "count": 2, "storage_class": "Archive"}]},
        {"name": "bk-stale", "objects": [{"key": "x", "age_days": 30}],
         "inventories": [daily("daily", manifests=[{"age_hours": 8 * 24}, {"age_hours": 9 * 24}])]},
        {"name": "bk-not-updated", "objects": [{"key": "x", "age_days": 30}],
         "inventories": [daily("daily", manifests=[{"age_hours": 3 * 24}])]},
        {"name": "bk-weekly", "objects": [{"key": "x", "age_days": 30}],
         "inventories": [daily("weekly", frequency="Weekly", manifests=[{"age_hours": 20}])]},
        {"name": "bk-disabled", "inventories": [daily("off", enabled=False)]},
        {"name": "bk-acl", "objects": [{"key": "public/logo.png", "acl": "public-read", "age_days": 9},
                                       {"key": "private.txt", "age_days": 9}]},
        {"name": "bk-box", "cloudbox_id": "cb-precheck01", "objects": [{"key": "x"}]},
    ],
}

MAIN_BUCKETS = ["bk-standard", "bk-ia", "bk-archive", "bk-coldarchive", "bk-inv-archived", "bk-sample-archived",
                "bk-stale", "bk-not-updated", "bk-weekly", "bk-disabled", "bk-acl", "bk-missing"]


def entry(name, endpoint, buckets, key_id=KEY_ID, secret=SECRET, **extra):
    item = dict(name=name, endpoint=endpoint, region="cn-hangzhou", access_key_id=key_id, access_key_secret=secret,
                buckets=buckets, **TIMEOUTS)
    item.update(extra)
    return item


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oss")
    cert, key = self_signed_cert(tmp)
    servers = {}
    with OssServer(SCENARIO) as main, \
            OssServer(dict(SCENARIO, behaviour={"mode": "drop"})) as dropping, \
            OssServer(dict(SCENARIO, behaviour={"delay_seconds": 6})) as slow, \
            SilentListener() as silent, HttpsServer(cert, key) as tls:
        servers.update(main=main, drop=dropping, slow=slow)
        last_backup = (NOW - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries = [
            entry("main", main.endpoint, MAIN_BUCKETS, backup_interval_hours=24, last_backup_time=last_backup,
                  sample_objects=20),
            entry("plain", main.endpoint, ["bk-weekly"], use_inventory=False),
            entry("cloudbox", main.endpoint, ["bk-box"], cloudbox_id="cb-precheck01"),
            entry("wrongsecret", main.endpoint, ["bk-standard"], secret=WRONG_SECRET),
            entry("denied", main.endpoint, ["bk-standard", "bk-acl"], key_id=DENIED_ID, secret=DENIED_SECRET),
            entry("silent", "http://127.0.0.1:%d" % silent.port, ["bk-a", "bk-b"]),
            entry("refused", "http://127.0.0.1:%d" % closed_port(), ["bk-a", "bk-b"]),
            entry("nodns", "http://oss-precheck.invalid", ["bk-a", "bk-b"]),
            entry("tls", "https://127.0.0.1:%d" % tls.port, ["bk-a", "bk-b"]),
            entry("drop", dropping.endpoint, ["bk-a", "bk-b"]),
            entry("slow", slow.endpoint, ["bk-standard", "bk-ia"]),
        ]
        inventory = local_inventory(cloudbackup_precheck_host_checks=[], cloudbackup_precheck_oss_buckets=entries)
        facts = tmp / "facts"
        facts.mkdir()
        run = run_playbook(tmp, inventory, playbook=fact_play(facts), verbosity=3, timeout=600)
        run.facts = dict((p.stem, json.loads(p.read_text())) for p in facts.iterdir())
        yield run, servers
    for srv in servers.values():
        assert not srv.running, "an OSS test server was left running"
    assert not main.problems, main.problems


def result(run, check, target):
    return run.result("oss." + check, target)


def status(run, check, target):
    found = result(run, check, target)
    return found["status"], found["code"].split("/", 1)[1]


def test_the_run_reports_and_gates(fleet):
    run, _servers = fleet
    assert run.report is not None, run
    assert run.report["hosts"]["localhost"]["verdict"] == "blocked"
    assert run.rc == 2, run


def test_connection(fleet):
    run, _servers = fleet
    assert status(run, "connection", "main (oss://bk-standard)") == ("passed", "passed")
    missing = result(run, "connection", "main (oss://bk-missing)")
    assert (missing["status"], missing["code"]) == ("failed", "oss.connection/no_such_bucket")
    assert "oss://bk-missing does not exist" in missing["message"] and "region" in missing["remediation"]
    dependent = result(run, "bucket_storage_class", "main (oss://bk-missing)")
    assert (dependent["status"], dependent["cause"]) == ("error", "dependency")
    assert "(NoSuchBucket); see oss.connection" in dependent["message"]


@pytest.mark.parametrize("bucket,expected", [
    ("bk-standard", ("passed", "passed")), ("bk-ia", ("warning", "ia_bucket")),
    ("bk-archive", ("failed", "archive_bucket")), ("bk-coldarchive", ("failed", "archive_bucket"))])
def test_bucket_storage_class(fleet, bucket, expected):
    run, _servers = fleet
    assert status(run, "bucket_storage_class", "main (oss://%s)" % bucket) == expected
    found = result(run, "bucket_storage_class", "main (oss://%s)" % bucket)
    assert "oss://" + bucket in found["message"]
    if expected[0] != "passed":
        assert found["remediation"]


def test_object_classes_from_the_inventory_csv(fleet):
    run, servers = fleet
    found = result(run, "object_storage_classes", "main (oss://bk-inv-archived)")
    assert (found["status"], found["code"]) == ("failed", "oss.object_storage_classes/archived_objects")
    assert "4 objects in the inventory 'daily'" in found["message"]
    assert "3 Archive, 1 Cold Archive" in found["message"] and "z/frozen-000000" in found["message"]
    assert "ossutil restore" in found["remediation"]
    # Read from the CSV: the bucket itself was not listed.
    assert not [r for r in servers["main"].records if r["operation"] == "ListObjectsV2"
                and r["bucket"] == "bk-inv-archived"]


def test_object_classes_from_a_bounded_listing_sample(fleet):
    run, servers = fleet
    found = result(run, "object_storage_classes", "main (oss://bk-sample-archived)")
    assert (found["status"], found["code"]) == ("failed", "oss.object_storage_classes/archived_objects")
    assert "all 3 objects of oss://bk-sample-archived (listed completely; no inventory manifest)" in found["message"]
    assert "vault/000000, vault/000001" in found["message"]
    assert status(run, "object_storage_classes", "main (oss://bk-ia)") == ("warning", "ia_objects")
    # bk-standard has 40 objects, a fresh inventory with StorageClass: no listing was needed there either;
    # the listing sample of a bucket without one stops at sample_objects (20 here).
    sampled = result(run, "object_acl", "main (oss://bk-standard)")
    assert "the first 20 objects of oss://bk-standard" in sampled["message"]
    listings = [r for r in servers["main"].records if r["operation"] == "ListObjectsV2"
                and r["bucket"] == "bk-standard" and r["access_key_id"] == KEY_ID]
    assert listings and all(int(r["query"]["max-keys"]) <= 20 for r in listings)


def test_inventory_items(fleet):
    run, _servers = fleet
    expected = {
        "bk-standard": {"inventory_configured": "passed", "inventory_fresh": "passed",
                        "inventory_since_last_backup": "passed", "interval_vs_inventory": "passed"},
        "bk-ia": {"inventory_configured": "no_inventory", "inventory_fresh": "no_inventory",
                  "inventory_since_last_backup": "skipped", "interval_vs_inventory": "skipped"},
        "bk-stale": {"inventory_fresh": "too_old"},
        "bk-not-updated": {"inventory_fresh": "overdue", "inventory_since_last_backup": "not_updated"},
        "bk-weekly": {"inventory_fresh": "passed", "interval_vs_inventory": "too_short"},
        "bk-disabled": {"inventory_configured": "disabled", "inventory_fresh": "no_inventory"},
    }
    for bucket, checks in expected.items():
        for check, code in checks.items():
            assert status(run, check, "main (oss://%s)" % bucket)[1] == code, (bucket, check)
    stale = result(run, "inventory_fresh", "main (oss://bk-stale)")
    assert stale["status"] == "failed" and "8.0 days old" in stale["message"]
    assert "inventory/bk-stale/daily/" in stale["message"]
    weekly = result(run, "interval_vs_inventory", "main (oss://bk-weekly)")
    assert "24 hours" in weekly["message"] and "Weekly period (168 hours)" in weekly["message"]
    since = result(run, "inventory_since_last_backup", "main (oss://bk-not-updated)")
    assert since["status"] == "failed" and "not after the last backup" in since["message"]
    assert result(run, "inventory_configured", "main (oss://bk-ia)")["status"] == "failed"


def test_use_inventory_false_skips_the_inventory_items(fleet):
    run, _servers = fleet
    for check in ("inventory_configured", "inventory_fresh", "inventory_since_last_backup", "interval_vs_inventory"):
        assert result(run, check, "plain (oss://bk-weekly)")["status"] == "skipped"


def test_cloudbox_bucket_fails(fleet):
    run, _servers = fleet
    assert status(run, "connection", "cloudbox (oss://bk-box)") == ("passed", "passed")
    found = result(run, "cloudbox", "cloudbox (oss://bk-box)")
    assert (found["status"], found["code"]) == ("failed", "oss.cloudbox/cloudbox_bucket")
    assert "CloudBox cb-precheck01" in found["message"]
    assert status(run, "cloudbox", "main (oss://bk-standard)") == ("passed", "passed")


def test_public_read_object_acl_warns(fleet):
    run, _servers = fleet
    found = result(run, "object_acl", "main (oss://bk-acl)")
    assert (found["status"], found["code"]) == ("warning", "oss.object_acl/object_acls")
    assert "public/logo.png" in found["message"] and "1 public-read" in found["message"]
    assert status(run, "object_acl", "main (oss://bk-ia)") == ("passed", "passed")


def test_wrong_secret_is_a_login_failure(fleet):
    run, _servers = fleet
    found = result(run, "connection", "wrongsecret (oss://bk-standard)")
    assert (found["status"], found["cause"]) == ("error", "login_failed")
    assert "SignatureDoesNotMatch" in found["message"]


def test_missing_ram_actions_are_named(fleet):
    run, _servers = fleet
    info = result(run, "connection", "denied (oss://bk-standard)")
    assert (info["status"], info["cause"]) == ("error", "permission")
    assert "oss:GetBucketInfo" in info["message"] and "RAM console" in info["remediation"]
    inventories = result(run, "inventory_configured", "denied (oss://bk-acl)")
    assert (inventories["cause"], inventories["details"]["action"]) == ("permission", "oss:GetBucketInventory")
    acl = result(run, "object_acl", "denied (oss://bk-acl)")
    assert acl["cause"] == "permission" and "oss:GetObjectAcl" in acl["message"]
    # No inventory permission: the storage classes come from the listing sample instead.
    classes = result(run, "object_storage_classes", "denied (oss://bk-acl)")
    assert classes["status"] == "passed" and "oss:GetBucketInventory" in classes["message"]


@pytest.mark.parametrize("name,cause", [("silent", "timeout"), ("refused", "refused"), ("nodns", "dns"),
                                        ("tls", "tls"), ("drop", "unreachable"), ("slow", "timeout")])
def test_faults_are_classified_and_bounded(fleet, name, cause):
    run, _servers = fleet
    results = [r for r in run.results() if r["target"].startswith(name + " (")]
    assert results
    first = [r for r in results if r["id"] == "oss.connection"][0]
    assert (first["status"], first["cause"]) == ("error", cause), first
    # Every item that needs the endpoint is an error; the two without their option are skipped.
    assert all(r["status"] == "error" for r in results if r["id"] not in (
        "oss.inventory_since_last_backup", "oss.interval_vs_inventory")), results
    assert all(r["status"] == "skipped" for r in results if r["id"] in (
        "oss.inventory_since_last_backup", "oss.interval_vs_inventory"))
    # The endpoint is tried once: every other call of this bucket set fails at once with that error.
    assert sum(r["duration_ms"] for r in results) < 1.5 * BOUND * 1000, [(r["id"], r["duration_ms"]) for r in results]


def test_no_secret_anywhere(fleet):
    run, _servers = fleet
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in run.report_dir.iterdir():
        texts[path.name] = path.read_text()
    for host, fact in run.facts.items():
        texts["fact " + host] = json.dumps(fact)
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout  # -vvv printed the module arguments
    for name, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "secret found in %s" % name


def test_only_read_operations_were_called(fleet):
    _run, servers = fleet
    records = [r for srv in servers.values() for r in srv.records]
    assert records and all(r["method"] == "GET" for r in records)
    operations = set(r["operation"] for r in records)
    assert operations <= {"GetBucketInfo", "ListBucketInventory", "ListObjectsV2", "GetObject", "GetObjectAcl"}


def test_a_per_item_module_and_invalid_arguments(tmp_path):
    with OssServer(SCENARIO) as srv:
        args = dict(endpoint=srv.endpoint, region="cn-hangzhou", access_key_id=KEY_ID, access_key_secret=SECRET,
                    buckets=["bk-archive"])
        play = [{"name": "OSS modules on their own", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "One item", "cloudbackup.precheck.oss_bucket_storage_class": args, "register": "one"},
            {"name": "Save it", "ansible.builtin.copy": {
                "content": "{{ one | to_json }}", "dest": str(tmp_path / "one.json"), "mode": "0600"}},
            {"name": "Bad bucket name", "cloudbackup.precheck.oss_precheck": dict(args, buckets=["Not_A_Bucket"]),
             "register": "bad", "ignore_errors": True},
            {"name": "Save the failure", "ansible.builtin.copy": {
                "content": "{{ bad | to_json }}", "dest": str(tmp_path / "bad.json"), "mode": "0600"}},
        ]}]
        run = run_playbook(tmp_path, local_inventory(), playbook=play, verbosity=3)
        calls = list(srv.records)
    one = json.loads((tmp_path / "one.json").read_text())
    assert [(r["id"], r["status"], r["target"]) for r in one["check_results"]] == [
        ("oss.bucket_storage_class", "failed", "oss://bk-archive")]
    bad = json.loads((tmp_path / "bad.json").read_text())
    assert bad["failed"] and "buckets: 'Not_A_Bucket' is not a bucket name" in bad["msg"]
    assert "Traceback" not in run.stdout + run.stderr
    assert [c["operation"] for c in calls] == ["GetBucketInfo"]  # bad arguments: nothing was called
    assert SECRET not in run.stdout + run.stderr
