"""The set_stats summary: one bounded entry per host, and only a fact of the host's own run counts."""

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.filter.precheck_stats import precheck_stats

RUN = "20261202T101010.000001Z"


def host(ready=True, run_id=RUN, fact_run_id=RUN, blocking=0, **summary):
    counts = dict({"passed": 3, "warning": 0, "failed": 0, "error": 0, "skipped": 1}, **summary)
    fact = {"run_id": fact_run_id, "ready": ready, "summary": counts,
            "blocking": [{"id": "host.oss_connectivity"}] * blocking, "results": [{"message": "x" * 500}] * 4}
    return {"cloudbackup_precheck": fact, "_cloudbackup_precheck_run_id": run_id}


def test_verdicts_and_counts_of_evaluated_hosts():
    hostvars = {"a": host(), "b": host(ready=False, blocking=2, failed=1, error=1, warning=3)}
    assert precheck_stats(hostvars, ["a", "b"], RUN) == {"run_id": RUN, "hosts": {
        "a": {"verdict": "ready", "blocking": 0, "failed": 0, "error": 0, "warning": 0},
        "b": {"verdict": "blocked", "blocking": 2, "failed": 1, "error": 1, "warning": 3},
    }}


@pytest.mark.parametrize("host_vars", [
    {},                                                   # unreachable before the role set anything
    {"_cloudbackup_precheck_run_id": RUN},                # failed before the fact was set
    host(fact_run_id="20200101T000000.000000Z"),          # a cached fact of an earlier run
    {"cloudbackup_precheck": "not a fact", "_cloudbackup_precheck_run_id": RUN},
], ids=["nothing", "no-fact", "stale-fact", "not-a-dict"])
def test_a_host_without_a_fact_of_its_own_run_is_not_evaluated(host_vars):
    stats = precheck_stats({"h": host_vars}, ["h"], RUN)
    assert stats["hosts"]["h"] == {"verdict": "not_evaluated", "blocking": 0, "failed": 0, "error": 0, "warning": 0}


def test_a_host_of_an_earlier_batch_keeps_its_verdict():
    # With serial, each batch has its own run id; the earlier batch's host still matches its own.
    earlier = host(ready=False, run_id="earlier", fact_run_id="earlier", blocking=1, failed=1)
    assert precheck_stats({"old": earlier}, ["old"], RUN)["hosts"]["old"]["verdict"] == "blocked"


def test_a_host_missing_from_hostvars_is_not_evaluated():
    assert precheck_stats({}, ["gone"], RUN)["hosts"]["gone"]["verdict"] == "not_evaluated"


def test_the_summary_stays_small_for_thousands_of_hosts():
    hosts = ["db-%05d.prod.example.com" % i for i in range(5000)]
    hostvars = dict((name, host(ready=False, blocking=12, failed=9, error=3, warning=17)) for name in hosts)
    size = len(json.dumps(precheck_stats(hostvars, hosts, RUN)))
    # The host name and about 80 bytes per host, whatever the number of results: 0.5 MB for 5,000.
    assert size < 5000 * (len(hosts[0]) + 90), size


@pytest.mark.parametrize("hostvars, hosts, message", [
    (["a"], ["a"], "the input must be hostvars, got list"),
    ({"a": {}}, "a", "hosts must be a list of inventory host names, got 'a'"),
])
def test_bad_input_is_named(hostvars, hosts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        precheck_stats(hostvars, hosts, RUN)
