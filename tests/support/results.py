"""Reading results in tests: the one result of a list, and a functional run's result checked where a
user sees it (precheck.json, the host's fact, the terminal report)."""


def norm(text):
    """Text with its white space folded, as the terminal report wraps it."""
    return " ".join(str(text).split())


def one(results):
    """The one result of a list that must hold exactly one."""
    assert len(results) == 1, results
    return results[0]


def assert_visible(run, host, check_id, target, status, *fragments):
    """The result is in precheck.json and in the host's fact with this status, its message or
    remediation holds every fragment, and a result that is not passed is in the terminal report
    with its fix. `run` is what harness.run_playbook returned, with the facts the play saved."""
    result = run.result(check_id, target, host)
    assert result["status"] == status, result
    for fragment in fragments:
        assert fragment in result["message"] or fragment in result["remediation"], (fragment, result)
    assert [r for r in run.facts[host]["results"] if r["id"] == check_id and r["target"] == target] == [result]
    if status != "passed":
        stdout = norm(run.stdout)
        assert "%s %s @ %s" % (status.upper(), check_id, target) in stdout
        assert norm(result["message"]) in stdout
        if result["remediation"]:
            assert norm("Fix: " + result["remediation"]) in stdout
    return result
