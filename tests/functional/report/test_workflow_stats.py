"""What the role gives an AWX workflow: the verdict of every host through set_stats, and a word when
report files were asked for but the report callback is off."""

import sys

import yaml

import endpoints
from harness import PRECHECK_PLAYBOOK, run_playbook

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_control_route_addresses": [], "cloudbackup_precheck_timeout": 2}
SHOW_STATS = {"ANSIBLE_SHOW_CUSTOM_STATS": "1"}
CALLBACK_OFF_WARNING = "but the callback cloudbackup.precheck.precheck_report is not enabled"


def refused_host(**extra):
    # Only the object-storage item: the other host items would judge this machine itself.
    return dict(LOCAL, cloudbackup_precheck_oss_endpoint="127.0.0.1:%d" % endpoints.closed_port(),
                cloudbackup_precheck_host_checks=["oss_connectivity"], **extra)


def accepted_host():
    return refused_host(cloudbackup_precheck_accepted_findings=[
        {"check": "host.oss_connectivity", "reason": "storage moves next week"}])


def counts(verdict, blocking=0, failed=0, error=0, warning=0):
    return {"verdict": verdict, "blocking": blocking, "failed": failed, "error": error, "warning": warning}


def test_every_host_has_its_verdict_and_counts_in_the_stats(tmp_path):
    inventory = {"all": {"hosts": {
        "accepted": accepted_host(),
        "blocked": refused_host(),
        "unreachable": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1",
                        "ansible_port": endpoints.closed_port(), "ansible_ssh_common_args": "-o ConnectTimeout=3"},
    }}}
    run = run_playbook(tmp_path, inventory, env=SHOW_STATS)
    assert run.rc != 0, run
    stats = run.custom_stats()
    assert list(stats) == ["cloudbackup_precheck_stats"], stats
    published = stats["cloudbackup_precheck_stats"]
    assert published["hosts"] == {
        "accepted": counts("ready", failed=1),
        "blocked": counts("blocked", blocking=1, failed=1),
        "unreachable": counts("not_evaluated"),
    }
    assert published["run_id"] == run.report["run_id"]
    assert CALLBACK_OFF_WARNING not in run.output()


def test_serial_batches_add_up_and_keep_the_verdicts_of_earlier_batches(tmp_path):
    with open(PRECHECK_PLAYBOOK) as handle:
        plays = yaml.safe_load(handle)
    plays[0]["serial"] = 2
    inventory = {"all": {"hosts": {"first": accepted_host(), "second": refused_host(), "third": accepted_host()}}}
    run = run_playbook(tmp_path, inventory, playbook=plays, env=SHOW_STATS)
    assert run.rc == 2, run
    assert run.custom_stats()["cloudbackup_precheck_stats"]["hosts"] == {
        "first": counts("ready", failed=1), "second": counts("blocked", blocking=1, failed=1),
        "third": counts("ready", failed=1)}


def test_the_role_says_once_that_no_report_file_is_written_without_the_callback(tmp_path):
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\ninterpreter_python = auto_silent\n")
    inventory = {"all": {"hosts": {"one": accepted_host(), "two": accepted_host()}}}
    run = run_playbook(tmp_path, inventory, env={"ANSIBLE_CONFIG": str(config)})
    assert run.rc == 0, run
    assert run.output().count(CALLBACK_OFF_WARNING) == 1, run
    assert "CLOUDBACKUP_PRECHECK_REPORT_DIR is set (%s)" % run.report_dir in run.output()
    assert not run.report_dir.exists()
    assert "cloudbackup.precheck report" not in run.stdout
