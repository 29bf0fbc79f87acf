"""Issue 9, defect 1: a short or common secret must neither rewrite an enumerated field (so that the
gate misjudges or the module crashes) nor show itself by where its masks fall."""

import json

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets as S
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate
from module_run import run_module
from secret_engine import ECHO, enumerated, register_engine, run


@pytest.fixture
def engine(monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", {})
    register_engine()
    return registry


def test_password_backup_leaves_impacts_alone_so_the_gate_still_blocks(engine):
    results, _summary, _msg = run("backup")
    recovery = [r for r in results if r["id"] == "t.recovery_model"][0]
    assert recovery["impact"] == ["log_backup"]
    blocking, _accepted = gate.evaluate(results, {"block_on": ["log_backup"]})
    assert "t.recovery_model" in [r["id"] for r in blocking]
    # The prose's word "backup" cannot be told from an echo of the password: masked as a word, never inside one.
    assert recovery["message"].endswith("log backups are planned: no log %s can be taken." % S.MASK)


@pytest.mark.parametrize("password", ["e", "p", "pass", "backup", "passed", "log", "t.connection", "login_failed"])
def test_a_secret_from_the_results_own_words_changes_no_enumerated_field(engine, password):
    results, summary, msg = run(password)
    reference, reference_summary, _msg = run("Xq7-long-random-secret-9f2c")
    assert enumerated(results) == enumerated(reference)
    assert summary == reference_summary
    dependent = [r for r in results if r["id"] == "t.backup_chain"][0]
    assert dependent["cause"] == "dependency"
    assert msg.startswith("t precheck of db01:1433: 1 passed, 1 failed, 2 error.")


@pytest.mark.parametrize("password", ["p", "pass"])
def test_no_mask_falls_inside_a_word(engine, password):
    results, _summary, _msg = run(password)
    texts = json.dumps([r for r in results if r["id"] != "t.connection"])
    assert S.MASK not in texts
    assert "dependency" in texts and "passed every check" in texts


@pytest.mark.parametrize("password", ["hunter2", "backup", "s3cr;t={x}", " lead space", "pâss wörd€"])
def test_an_echoed_secret_is_masked_in_free_text(engine, password):
    results, _summary, msg = run(password)
    connection = [r for r in results if r["id"] == "t.connection"][0]
    assert connection["message"] == ECHO % S.MASK
    assert password not in json.dumps(connection, ensure_ascii=False) and password not in msg


def test_the_rule_masks_whole_tokens_of_secrets_long_enough():
    assert S.mask_text("PWD=abcd; abcde xabcd abcd_1 abcd", ["abcd"]) == "PWD=********; abcde xabcd abcd_1 ********"
    masked = S.mask_text({"dsn": ["u/;x=1@db", "a;x=1", "a;x=1b"]}, [";x=1"])
    assert masked == {"dsn": ["u/********@db", "a********", "a;x=1b"]}
    assert S.mask_text("PWD=abc;", ["abc"]) == "PWD=abc;"


@pytest.mark.parametrize("password", ["e", "restore", "failed", "passed", "migrate.password_policy"])
def test_the_module_returns_its_enumerated_fields_unmasked(password):
    """Ansible masks no_log values in every string a module returns; the module's results must not
    go through that (its own scrubbing covers their free text), but its arguments still do."""
    out, _elapsed = run_module("host_precheck", {"migrate": True, "restore_password": password, "checks": ["password_policy"]})
    (result,) = out["check_results"]
    assert (result["id"], result["status"], result["impact"], result["code"]) == (
        "migrate.password_policy", "failed", ["restore"], "migrate.password_policy/policy")
    assert out["summary"]["failed"] == 1
    assert out["invocation"]["module_args"]["restore_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
