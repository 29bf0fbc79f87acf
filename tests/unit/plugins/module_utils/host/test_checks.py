import json
import os
import subprocess
import sys
import time

import pytest

import endpoints
from checkout import COLLECTIONS
from host_engine import params
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import checks as host_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine as host_engine


@pytest.mark.parametrize("value, expected", [
    ("oss.example.com", ("oss.example.com", 443)),
    ("oss.example.com:8443", ("oss.example.com", 8443)),
    ("https://acct.blob.core.windows.net", ("acct.blob.core.windows.net", 443)),
    ("https://127.0.0.1:9443/bucket", ("127.0.0.1", 9443)),
    ("[::1]:443", ("::1", 443)),
])
def test_parse_endpoint_forms(value, expected):
    assert host_checks.parse_endpoint(value, 443, "oss_endpoint") == expected


@pytest.mark.parametrize("value, message", [
    ("oss.example.com:0", "port '0' in 'oss.example.com:0' is out of range (valid ports: 1-65535)"),
    ("oss.example.com:70000", "port '70000'"),
    ("http://oss.example.com", "malformed endpoint"),
    ("bad host!", "malformed host"),
    ("::1:443", "put an IPv6 address in brackets"),
    ("oss.example.com:", "empty port"),
])
def test_parse_endpoint_rejects_with_the_option_and_valid_forms(value, message):
    with pytest.raises(ValueError) as err:
        host_checks.parse_endpoint(value, 443, "oss_endpoint")
    assert str(err.value).startswith("oss_endpoint: ")
    assert message in str(err.value)


def test_validate_names_each_bad_option():
    # The timeout's range is declared with the option and checked in core (Engine.problems).
    problems = host_engine.ENGINE.problems(params(timeout=-1, region="Hangzhou", oss_endpoint="x:70000",
                                           control_endpoints=["ok.example.com:443", "noport.example.com"],
                                           control_route_addresses=["10.0.0.1", "nope"]))
    text = "\n".join(problems)
    assert "timeout: -1 is out of range (valid: a number greater than 0 and at most 86400)" in text
    assert "region: 'Hangzhou' is not a region id" in text
    assert "oss_endpoint: port '70000'" in text
    assert "control_endpoints: 'noport.example.com' has no port (valid form: host:port)" in text
    assert "control_route_addresses: 10.0.0.1 is outside 100.64.0.0/10" in text
    assert "control_route_addresses: 'nope' is not an IPv4 address" in text
    assert len(problems) == 6
    assert host_engine.ENGINE.problems(params(region="cn-hangzhou")) == []


def test_region_gives_the_internal_endpoint_and_explicit_endpoint_wins():
    assert host_checks.oss_endpoint(params(region="cn-hangzhou")) == ("oss-cn-hangzhou-internal.aliyuncs.com", 443)
    assert host_checks.oss_endpoint(params(region="cn-hangzhou", oss_endpoint="x.example:1")) == ("x.example", 1)
    assert host_checks.oss_endpoint(params()) is None


def test_judge_oss_names_step_cause_and_fix():
    (result,) = host_checks.judge_oss("oss-x-internal.aliyuncs.com", 443, {
        "ok": False, "step": "dns", "cause": "dns", "detail": "DNS lookup failed", "elapsed_ms": 3})
    assert result["status"] == "failed" and result["cause"] == "dns"
    assert result["target"] == "oss-x-internal.aliyuncs.com:443"
    assert "(step dns, dns)" in result["message"]
    assert "resolve oss-x-internal.aliyuncs.com" in result["remediation"]


@pytest.mark.parametrize("rc, stdout, stderr, rtype, ok", [
    (0, '[{"dst":"100.64.0.1","gateway":"192.0.2.1","dev":"eth0","prefsrc":"192.0.2.2"}]', "", "unicast", True),
    (2, "", "RTNETLINK answers: Network is unreachable", "no_route", False),
    (2, "", "RTNETLINK answers: No route to host", "unreachable", False),
    (2, "", "RTNETLINK answers: Invalid argument", "blackhole", False),
    (2, "", "RTNETLINK answers: Permission denied", "prohibit", False),
    (0, '[{"type":"blackhole","dst":"100.64.0.1"}]', "", "blackhole", False),
])
def test_parse_ip_route_get(rc, stdout, stderr, rtype, ok):
    route = probes.parse_ip_route_get(rc, stdout, stderr)
    assert (route["type"], route["ok"]) == (rtype, ok)


def test_judge_route_reports_device_gateway_and_bad_types():
    ok = host_checks.judge_route("100.64.0.1", {"ok": True, "type": "unicast", "dev": "eth0", "gateway": "192.0.2.1",
                                                "prefsrc": "192.0.2.2", "detail": ""})
    assert ok["status"] == "passed" and ok["target"] == "route 100.64.0.0/11"
    assert ok["message"] == "Route to 100.64.0.0/11 found: via 192.0.2.1 dev eth0."
    bad = host_checks.judge_route("100.96.0.1", {"ok": False, "type": "blackhole", "detail": "Invalid argument"})
    assert bad["status"] == "failed" and bad["target"] == "route 100.96.0.0/11"
    assert "of type blackhole" in bad["message"] and "Remove the blackhole route" in bad["remediation"]
    none = host_checks.judge_route("100.64.0.1", {"ok": False, "type": "no_route", "detail": ""})
    assert "No route to the control network 100.64.0.0/11" in none["message"]


# Real probes against endpoints on 127.0.0.1.

def test_https_probe_passes_with_the_ca_and_fails_tls_without(tmp_path):
    cert, key = endpoints.self_signed_cert(tmp_path)
    with endpoints.HttpsServer(cert, key) as server:
        ok = probes.probe_https("localhost", server.port, 3, ca_path=str(cert))
        assert ok["ok"] and ok["http_status"] == 403
        untrusted = probes.probe_https("localhost", server.port, 3)
        assert (untrusted["ok"], untrusted["step"], untrusted["cause"]) == (False, "tls", "tls")
        assert "certificate verify failed" in untrusted["detail"]
        unverified = probes.probe_https("localhost", server.port, 3, validate_certs=False)
        assert unverified["ok"]


def test_refused_and_unresolvable_are_distinct_causes():
    refused = probes.probe_https("127.0.0.1", endpoints.closed_port(), 3)
    assert (refused["step"], refused["cause"]) == ("tcp", "refused")
    unresolved = probes.probe_https("no-such-host.invalid", 443, 3)
    assert (unresolved["step"], unresolved["cause"]) == ("dns", "dns")


def test_silent_listener_times_out_at_tls_within_the_timeout():
    with endpoints.SilentListener() as silent:
        started = time.monotonic()
        result = probes.probe_https("127.0.0.1", silent.port, 1)
        elapsed = time.monotonic() - started
    assert (result["step"], result["cause"]) == ("tls", "timeout")
    assert elapsed < 2


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root (CI runs as root)")
def test_route_lookup_in_a_namespace_with_blackhole_and_unreachable_routes():
    """The kernel's verdict on real routes, in a namespace of our own so the host is not touched."""
    ns = "cbp-test-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for route in (["blackhole", "100.64.0.0/11"], ["unreachable", "100.96.0.0/11"]):
            subprocess.run(["ip", "-n", ns, "route", "add"] + route, check=True)
        code = ("import json, sys; sys.path.insert(0, %r); "
                "from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes; "
                "print(json.dumps([probes.route_lookup(a, 3) for a in ('100.64.0.1', '100.96.0.1', '10.0.0.1')]))"
                % COLLECTIONS)
        out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], check=True,
                             capture_output=True, text=True).stdout
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    assert [r["type"] for r in json.loads(out)] == ["blackhole", "unreachable", "no_route"]


def elf_header(path, elf_class):
    path.write_bytes(b"\x7fELF" + bytes([elf_class]) + b"\x01\x01" + b"\x00" * 57)
    return str(path)


def test_elf_bits_reads_the_class_of_an_executable(tmp_path):
    assert host_checks.elf_bits(elf_header(tmp_path / "sh64", 2)) == 64
    assert host_checks.elf_bits(elf_header(tmp_path / "sh32", 1)) == 32
    (tmp_path / "script").write_text("#!/bin/sh\n")
    assert host_checks.elf_bits(str(tmp_path / "script")) is None
    assert host_checks.elf_bits(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("machine, bits, status, code, words", [
    ("x86_64", 64, "passed", "host.arch_64bit/passed", "is 64-bit: kernel x86_64"),
    ("aarch64", 64, "passed", "host.arch_64bit/passed", "userspace ELF64"),
    ("i686", 32, "failed", "host.arch_64bit/kernel_32bit", "32-bit kernel (i686)"),
    ("armv7l", None, "failed", "host.arch_64bit/kernel_32bit", "supports no 32-bit system"),
    ("x86_64", 32, "failed", "host.arch_64bit/userspace_32bit", "32-bit userspace (/bin/sh is ELF32)"),
    ("x86_64", None, "warning", "host.arch_64bit/userspace_unknown", "cannot be ruled out"),
])
def test_judge_arch_64bit(machine, bits, status, code, words):
    (outcome,) = host_checks.judge_arch_64bit(machine, bits, "/bin/sh", "web01")
    assert outcome["status"] == status and "host.arch_64bit/" + outcome["code"] == code
    assert words in outcome["message"] and outcome["target"] == "web01"
    if status != "passed":
        assert outcome["remediation"]
