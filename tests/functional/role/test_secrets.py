"""Issue 9: awkward passwords, from Ansible Vault and in plain text, through ansible-playbook and the
role at -vvvv with a jsonfile fact cache, a log file and the report files. No password may appear
in any of them, in any encoding JSON gives it, and the verdicts are those of plain long passwords.

Every engine that takes a secret is in the same run (one run per password source, and one with the
reference passwords): MySQL (a real MariaDB), SQL Server (the TDS test server, real pyodbc and
FreeTDS), Oracle (the driver stand-in), OSS (the OSS API test server, real alibabacloud-oss-v2,
access_key_secret), vCenter (govmomi's simulator, real pyVmomi), SAP HANA (the HANA test server,
real hdbcli) and the host engine (its restore_password). Each server accepts both logins and
refuses a wrong password (each engine's own functional test has that case), so a passed
connection means the awkward password arrived intact.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest
import yaml

import hana_tree
from hana_server import HanaServer
from harness import ROOT, VENV_BIN, fact_play, run_playbook
from mariadb import MariaDBServer
from oss_server import OssServer
from sqlserver_scenarios import scenario as tds_scenario
from tds_server import TdsServer
from vcsim import Vcsim

STANDIN = os.path.join(ROOT, "tests", "support", "oracle_standin")

# Quotes, braces, `;`, `=`, a leading space, non-ASCII, and a `{{` a plain-text password must not
# have templated.
AWKWARD = {
    "mysql": " My\"q'{b};c=d{{e}}%sé€",
    # FreeTDS 1.3 (Debian 12) cannot read a `}` in a braced connection-string value, and `;` and the
    # leading space need the braces: the SQL Server layer refuses that combination (a classified
    # login_failed), so this one has every other character and no `}`.
    "sqlserver": " Sq\"l'{b;c=d{{eé€",
    "oracle": " Or\"a'{b};c=d{{e}}é€",
    "oss": " Os\"s'{b};c=d{{e}}é€",
    "vmware": " Vc\"s'{b};c=d{{e}}é€",
    "hana": " Ha\"n'{b};c=d{{e}}é€",
    # The host's restore password (the policy refuses it, as it refuses the reference's).
    "restore": " Rp\"é'{x};y=z€{{w}}",
}
REFERENCE = dict((engine, "%s-long-plain-reference-7c41d9" % engine.capitalize()) for engine in AWKWARD)
REFERENCE["restore"] = "Restore-long-plain-référence-5e2"
VAULT_PASSWORD = "vault-pass-for-the-test"
OSS_KEY_IDS = {"awkward": "LTAI5tSecretsAwkward", "reference": "LTAI5tSecretsReferen"}
HANA_USERS = {"awkward": "AWKWARD", "reference": "REFERENCE"}
VC_USERS = {"awkward": "awkward@vsphere.local", "reference": "reference@vsphere.local"}


def mariadb_users(srv):
    connection = srv.connect()
    with connection.cursor() as cursor:
        for user, passwords in (("awkward", AWKWARD), ("reference", REFERENCE)):
            cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, passwords["mysql"]))
            cursor.execute("GRANT RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT ON *.* TO %s@'%%'", (user,))
    connection.close()


def tds_spec():
    spec = tds_scenario("healthy", "awkward", AWKWARD["sqlserver"])
    spec["logins"].append({"user": "reference", "password": REFERENCE["sqlserver"]})
    return spec


def oss_spec():
    return {"credentials": [{"access_key_id": OSS_KEY_IDS[who], "access_key_secret": passwords["oss"]}
                            for who, passwords in (("awkward", AWKWARD), ("reference", REFERENCE))],
            "buckets": [{"name": "bk-secrets", "objects": [{"key": "x"}]}]}


def hana_spec():
    return {"server": {"version": "2.00.070.00.1700000000", "sid": "HDB"},
            "users": [{"user": HANA_USERS[who], "password": passwords["hana"]}
                      for who, passwords in (("awkward", AWKWARD), ("reference", REFERENCE))],
            "views": {"SYS.M_DATABASE": [{"SYSTEM_ID": "HDB", "DATABASE_NAME": "SYSTEMDB",
                                          "VERSION": "2.00.070.00.1700000000"}]}}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Every engine's server, each with an `awkward` and a `reference` login."""
    basedir = tempfile.mkdtemp(prefix="cbp-secrets-")
    tmp = tmp_path_factory.mktemp("servers")
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, basedir, ignore_errors=True)
        mariadb = MariaDBServer(basedir)
        stack.callback(mariadb.cleanup)
        mariadb.start()
        mariadb_users(mariadb)
        found = {"mysql": mariadb.port, "hana_root": hana_tree.build(tmp / "hana", "sps07")}
        tds = TdsServer(tds_spec()).start()
        stack.callback(tds.stop)
        oss = stack.enter_context(OssServer(oss_spec()))
        vcsim = stack.enter_context(Vcsim(tmp, dict((VC_USERS[who], passwords["vmware"]) for who, passwords in
                                                    (("awkward", AWKWARD), ("reference", REFERENCE)))))
        hana = stack.enter_context(HanaServer(hana_spec()))
        found.update(sqlserver=tds.port, oss=oss.endpoint, vmware=vcsim.port, hana=hana.port)
        yield found


class Secret:
    """A password in the inventory, written as a user writes it: `!vault |` or `!unsafe '...'`."""

    def __init__(self, value, form, vault_file):
        self.value, self.form, self.vault_file = value, form, vault_file


def represent_secret(dumper, secret):
    if secret.form == "plain":
        return dumper.represent_scalar("!unsafe", secret.value, style="'")
    proc = subprocess.run([VENV_BIN + "/ansible-vault", "encrypt_string", "--vault-password-file",
                           str(secret.vault_file), "--stdin-name", "x"], input=secret.value, capture_output=True,
                          text=True, check=True)
    return dumper.represent_scalar("!vault", textwrap.dedent(proc.stdout.split("!vault |\n", 1)[1]).strip(),
                                   style="|")


class InventoryDumper(yaml.SafeDumper):
    pass


InventoryDumper.add_representer(Secret, represent_secret)


def inventory(tmp_path, ports, who, form):
    """Every engine's entry on one local host, each with `who`'s password."""
    passwords = AWKWARD if who == "awkward" else REFERENCE

    def secret(engine):
        return Secret(passwords[engine], form, tmp_path / "vault-pass")

    timeouts = {"connect_timeout": 5}
    host = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "cloudbackup_precheck_migrate": True,
        "cloudbackup_precheck_restore_password": secret("restore"),
        "cloudbackup_precheck_mysql_instances": [{
            "login_host": "127.0.0.1", "login_port": ports["mysql"], "login_user": who,
            "login_password": secret("mysql")}],
        "cloudbackup_precheck_sqlserver_instances": [dict(
            timeouts, name="sql", login_host="127.0.0.1", login_port=ports["sqlserver"], login_user=who,
            login_password=secret("sqlserver"), encrypt=False)],
        "cloudbackup_precheck_oracle_instances": [dict(
            timeouts, login_host="db01.example.com", service_name="ORCL", login_user="c##bkp",
            login_password=secret("oracle"), mode="sysbackup", checks=["connection"])],
        "cloudbackup_precheck_oss_buckets": [dict(
            timeouts, name="oss", endpoint=ports["oss"], region="cn-hangzhou", access_key_id=OSS_KEY_IDS[who],
            access_key_secret=secret("oss"), buckets=["bk-secrets"], read_timeout=5)],
        "cloudbackup_precheck_vmware_vcenters": [{
            "name": "vc", "hostname": "127.0.0.1", "port": ports["vmware"], "username": VC_USERS[who],
            "password": secret("vmware"), "validate_certs": False}],
        "cloudbackup_precheck_hana_instances": [dict(
            timeouts, name="hana", root=ports["hana_root"], login_host="127.0.0.1", login_port=ports["hana"],
            login_user=HANA_USERS[who], login_password=secret("hana"), statement_timeout=5, checks=["connection"])],
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.dump({"all": {"hosts": {"localhost": host}}}, Dumper=InventoryDumper, allow_unicode=True,
                              sort_keys=False))
    return path


def oracle_standin(tmp_path, who):
    """The stand-in's scenario: an ORCL that lets C##BKP in with `who`'s password and answers the
    session query of oracle.connection."""
    password = (AWKWARD if who == "awkward" else REFERENCE)["oracle"]
    path = tmp_path / "oracle.json"
    path.write_text(json.dumps({
        "description": "tests/functional/role/test_secrets.py", "server_version": "19.3.0.0.0",
        "connect": {"user": "C##BKP", "password": password, "modes": ["sysbackup"]},
        "queries": [{"match": r"SYS_CONTEXT\('USERENV'", "columns": ["INSTANCE_NAME", "DB_NAME", "CON_NAME",
                                                                     "SESSION_USER"],
                     "rows": [["ORCL", "ORCL", "ORCL", "C##BKP"]]}]}))
    return path


def cached_play(tmp_path):
    """The main job with the gate as a second step, the fact saved as a file in between, and
    gathered facts and the precheck fact kept in the fact cache, as a user who caches facts between
    runs has them."""
    (tmp_path / "saved").mkdir()
    plays = fact_play(tmp_path / "saved")
    plays[0]["gather_facts"] = True
    plays[0]["tasks"].insert(1, {"name": "Cache the fact", "ansible.builtin.set_fact": {
        "cloudbackup_precheck_cached": "{{ cloudbackup_precheck }}", "cacheable": True}})
    return plays


def run(tmp_path, ports, who, form):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD)
    env = {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts"),
           "ANSIBLE_LOG_PATH": str(tmp_path / "ansible.log"),
           "ANSIBLE_VAULT_PASSWORD_FILE": str(tmp_path / "vault-pass"),
           # The Oracle stand-in is found before python-oracledb; no other engine imports it.
           "PYTHONPATH": STANDIN, "ORACLE_STANDIN_SCENARIO": str(oracle_standin(tmp_path, who))}
    return run_playbook(tmp_path, inventory(tmp_path, ports, who, form), playbook=cached_play(tmp_path), verbosity=4,
                        env=env, timeout=900)


def leaked_forms(secret):
    """The password as it is, and as JSON writes it (escaped quotes, \\u escapes)."""
    return set([secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], secret.strip()])


def verdicts(run):
    """The host's verdict, and the status and cause of every result but the host engine's own (other
    than its password policy)."""
    host = run.report["hosts"]["localhost"]
    return host["verdict"], sorted((r["id"], r["status"], r.get("cause")) for r in host["results"]
                                   if r["engine"] != "host" or r["id"] == "migrate.password_policy")


@pytest.fixture(scope="module")
def reference(servers, tmp_path_factory):
    """The same run with plain long passwords: the verdicts to expect."""
    return run(tmp_path_factory.mktemp("reference"), servers, "reference", "plain")


ENGINES = ("mysql", "sqlserver", "oracle", "oss", "vmware", "hana")


@pytest.mark.parametrize("form", ["vault", "plain"])
def test_no_awkward_password_reaches_any_output_and_the_verdicts_do_not_change(servers, reference, tmp_path, form):
    awkward = run(tmp_path / "awkward", servers, "awkward", form)
    assert reference.report and awkward.report, awkward
    assert verdicts(awkward) == verdicts(reference)
    # The password reached each server intact: each refuses a wrong one.
    connected = dict((r["engine"], r["status"]) for r in awkward.results() if r["id"].endswith(".connection"))
    assert connected == dict((engine, "passed") for engine in ENGINES), awkward
    files = [p for p in (tmp_path / "awkward").rglob("*")
             if p.is_file() and p.name not in ("inventory.yml", "vault-pass", "playbook.yml", "oracle.json")]
    (cache,) = (tmp_path / "awkward" / "facts").glob("*localhost")      # its name varies by ansible-core
    assert (tmp_path / "awkward" / "ansible.log") in files
    cached = json.loads(cache.read_text())
    if isinstance(cached.get("__payload__"), str):
        cached = json.loads(cached["__payload__"])     # ansible-core 2.19 nests the facts as a JSON string
    assert "cloudbackup_precheck_cached" in cached
    assert (tmp_path / "awkward" / "saved" / "localhost.json") in files
    texts = {"stdout": awkward.stdout, "stderr": awkward.stderr, "the cached facts": json.dumps(cached, ensure_ascii=False)}
    texts.update((str(p), p.read_text(errors="replace")) for p in files)
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in awkward.stdout      # -vvvv shows the arguments, masked
    for where, text in texts.items():
        for engine, secret in AWKWARD.items():
            for shown in leaked_forms(secret):
                assert shown not in text, "the %s password appears in %s" % (engine, where)
