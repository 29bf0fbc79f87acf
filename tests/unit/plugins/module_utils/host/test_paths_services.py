"""host.restore_target_path (access as the agent's account, free space) and host.outbound_services (probes
of endpoints started here, proxy reporting), and reading under a root."""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

import endpoints
from host_engine import needs_root, one, params, run
from linux_root import LinuxRoot
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import connection, engine, services
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import Root


@pytest.fixture
def target():
    top = tempfile.mkdtemp(prefix="precheck-restore-", dir="/tmp")
    os.chmod(top, 0o755)
    yield top
    shutil.rmtree(top)


def restore(paths, **extra):
    return run(["host.restore_target_path"], restore_target_paths=paths, restore_min_free_gib=0.001, **extra)


def test_restore_target_exists_writable_with_space(target):
    (result,) = restore([target])
    assert result["status"] == "passed" and "writable by root" in result["message"]


def test_restore_target_missing_or_a_file(target):
    afile = os.path.join(target, "file")
    open(afile, "w").close()
    missing, not_dir = restore([target + "/none", afile])
    assert (missing["status"], missing["code"]) == ("failed", "host.restore_target_path/missing")
    assert "mkdir -p %s/none && chown root" % target in missing["remediation"]
    assert not_dir["code"] == "host.restore_target_path/not_directory"


@needs_root
def test_restore_target_not_writable_by_the_agent_account(target):
    os.chmod(target, 0o755)
    (result,) = restore([target], agent_user="nobody")
    assert (result["status"], result["code"]) == ("failed", "host.restore_target_path/not_writable")
    assert "not writable by the agent's account nobody" in result["message"]
    assert "setfacl -m u:nobody:rwx %s" % target in result["remediation"]


def test_restore_target_below_the_free_space_threshold(target):
    (result,) = run(["host.restore_target_path"], restore_target_paths=[target], restore_min_free_gib=1e9)
    assert (result["status"], result["code"]) == ("failed", "host.restore_target_path/low_space")
    assert "below the 1000000000.0 GiB required" in result["message"]


@needs_root
def test_restore_target_on_a_read_only_mount(target):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", target], check=True)
    try:
        (result,) = restore([target])
    finally:
        subprocess.run(["umount", target], check=True)
    assert result["code"] == "host.restore_target_path/read_only"


def test_restore_target_under_a_root_follows_links_inside_it(tmp_path):
    root = LinuxRoot(tmp_path)
    root.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
    root.dir("/srv/restore")
    root.link("/restore", "/srv/restore")
    (result,) = run(["host.restore_target_path"], root=str(root), restore_target_paths=["/restore"],
                    restore_min_free_gib=0)
    assert result["status"] == "passed" and result["target"] == "/restore"


def test_outbound_services_pass_fail_and_report_the_proxy_without_credentials(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://svc:s3cr3t@proxy.example:3128")
    with endpoints.SilentListener() as listener:
        results = run(["host.outbound_services"], timeout=2,
                      service_hosts=["127.0.0.1:%d" % listener.port, "127.0.0.1:%d" % endpoints.closed_port(),
                                     "no-such-host.invalid"])
    ok, refused, dns = results
    assert ok["status"] == "passed" and ok["target"] == "127.0.0.1:%d" % listener.port
    assert (refused["status"], refused["cause"]) == ("failed", "refused")
    assert (dns["status"], dns["cause"], dns["target"]) == ("failed", "dns", "no-such-host.invalid:443")
    for result in results:
        assert "https_proxy=http://proxy.example:3128 from environment" in result["message"]
        assert "s3cr3t" not in repr(result)
    assert "configure the backup agent to use the proxy" in refused["remediation"]


def test_outbound_services_probe_concurrently(monkeypatch):
    monkeypatch.delenv("https_proxy", raising=False)
    with endpoints.BlackHole() as one_hole, endpoints.BlackHole() as two, endpoints.BlackHole() as three:
        started = time.monotonic()
        results = run(["host.outbound_services"], timeout=1,
                      service_hosts=["127.0.0.1:%d" % hole.port for hole in (one_hole, two, three)])
        elapsed = time.monotonic() - started
    assert [r["cause"] for r in results] == ["timeout"] * 3
    assert elapsed < 2.5, elapsed


def test_outbound_services_skipped_without_hosts_and_bad_hosts_rejected():
    assert one("host.outbound_services")["status"] == "skipped"
    problems = engine.ENGINE.problems(params(service_hosts=["bad host!"], backup_paths=["relative/path"], root="/nonexistent",
                                      walk_max_entries=0, walk_max_seconds=0))
    text = "\n".join(problems)
    assert "service_hosts: malformed host 'bad host!'" in text
    assert "backup_paths: 'relative/path' is not an absolute path" in text
    assert "root: '/nonexistent' is not an existing directory" in text
    assert "walk_max_entries: 0 is out of range (valid: a number at least 1)" in text
    assert "walk_max_seconds: 0 is out of range (valid: a number greater than 0 and at most 86400)" in text


def test_proxy_settings_read_etc_environment_too():
    found = services.proxy_settings({}, {"HTTPS_PROXY": "http://u:p@10.0.0.1:8080", "NO_PROXY": "localhost"})
    assert found["HTTPS_PROXY"] == {"value": "http://10.0.0.1:8080", "from": "/etc/environment"}


def test_root_resolves_links_inside_the_root_only(tmp_path):
    root = LinuxRoot(tmp_path)
    root.file("/etc/real", "inside")
    root.link("/etc/abs", "/etc/real")
    root.link("/etc/up", "../../../../../../etc/real")
    root.link("/etc/loop", "/etc/loop")
    fs = Root(str(root), 5)
    assert fs.text("/etc/abs") == "inside"
    assert fs.text("/etc/up") == "inside"          # `..` stops at the root
    assert fs.resolve("/etc/abs").startswith(str(root))
    with pytest.raises(PrecheckError):
        fs.resolve("/etc/loop")


def test_commands_are_bounded_and_their_children_killed(tmp_path):
    fs = Root("/", 0.5)
    # A duration of its own, so that no other process on the machine matches the pgrep.
    sleep = "sleep %d.%d" % (30, os.getpid())
    started = time.monotonic()
    with pytest.raises(PrecheckError) as err:
        fs.run(["sh", "-c", "%s & %s; wait" % (sleep, sleep)])
    assert err.value.cause == "timeout" and time.monotonic() - started < 4
    assert subprocess.run(["pgrep", "-f", sleep], capture_output=True, check=False).returncode == 1


def test_a_file_the_precheck_cannot_read_is_a_permission_error(tmp_path, monkeypatch):
    root = LinuxRoot(tmp_path)
    root.file("/etc/secret", "x", mode=0o000)

    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")
    if os.geteuid() == 0:  # root reads mode 000: make open() answer as the kernel does for anyone else
        monkeypatch.setattr(connection, "open", denied, raising=False)
    with pytest.raises(PrecheckError) as err:
        Root(str(root), 5).text("/etc/secret")
    assert err.value.cause == "permission" and "/etc/secret cannot be read" in err.value.message
