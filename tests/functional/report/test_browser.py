# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""precheck.html in a real browser: Playwright driving Debian's chromium over the 300-host fleet
report the callback writes. The headline agrees with precheck.json, every filter leaves what it
should, a host link leads to the host, and the page reads with JavaScript off and under a strict
Content-Security-Policy. Screenshots go to tests/output/."""

import os

import pytest
from playwright.sync_api import sync_playwright

import fleet
import report_callback
from harness import ROOT
from report_files import validate_dir

CHROMIUM = "/usr/bin/chromium"
OUTPUT = os.path.join(ROOT, "tests", "output")


@pytest.fixture(scope="module")
def fleet_report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("html")
    with pytest.MonkeyPatch.context() as monkeypatch:
        report_callback.configure(monkeypatch)
        display = report_callback.Display()
        callback = report_callback.callback(display, output_dir=str(directory))
        callback.v2_playbook_on_start(report_callback.Playbook())
        callback.v2_playbook_on_stats(fleet.Stats(fleet.feed(callback, 300)))
    assert display.warnings == []
    return validate_dir(directory), str(directory / "precheck.html")


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: bash scripts/setup.sh --test installs it"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def visible(page, selector):
    return page.eval_on_selector_all(selector, "els => els.filter(e => !e.closest('[hidden]')).length")


def visible_attr(page, selector, attribute):
    return page.eval_on_selector_all(
        selector, "(els, a) => els.filter(e => !e.closest('[hidden]')).map(e => e.getAttribute(a))", attribute)


def hosts_with(doc, predicate):
    return sorted(name for name, entry in doc["hosts"].items()
                  if any(predicate(entry, index, r) for index, r in enumerate(entry["results"])))


def disposition(entry, index):
    if index in entry["blocking"]:
        return "blocking"
    if index in [a["index"] for a in entry["accepted"]]:
        return "accepted"
    return "not_blocking" if entry["gated"] else "no_gate"


@pytest.fixture
def page(browser, fleet_report):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("file://" + fleet_report[1])
    page.wait_for_selector("#filters:not([hidden])")
    yield page
    assert errors == []
    context.close()


def apply(page, **values):
    page.click("#filters button[type=reset]")
    for name, value in values.items():
        if name in ("host", "q"):
            page.fill("#filters input[name=%s]" % name, value)
            page.dispatch_event("#filters input[name=%s]" % name, "change")
        else:
            page.select_option("#filters select[name=%s]" % name, value)
    page.wait_for_function("document.getElementById('shown').textContent.length > 0")


def test_the_headline_agrees_with_precheck_json(page, fleet_report):
    doc = fleet_report[0]
    for key in ("hosts", "ready", "blocked", "not_evaluated"):
        assert page.text_content("#count-%s" % key) == str(doc["summary"][key]), key
    assert page.text_content("#run-id") == doc["run_id"]
    assert visible(page, "#findings .group") == len(doc["findings"])
    assert visible(page, "#hosts details.host") == 300
    os.makedirs(OUTPUT, exist_ok=True)
    page.screenshot(path=os.path.join(OUTPUT, "report-html.png"))


def test_each_filter_leaves_what_it_should(page, fleet_report):
    doc = fleet_report[0]
    groups = doc["findings"]

    apply(page, status="failed")
    assert sorted(visible_attr(page, "#findings .group", "data-code")) == sorted(
        g["code"] for g in groups if g["status"] == "failed")
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == hosts_with(
        doc, lambda e, i, r: r["status"] == "failed")

    apply(page, engine="host")
    assert set(visible_attr(page, "#findings .group", "data-engine")) == {"host"}
    assert visible(page, "#findings .group") == len([g for g in groups if g["engine"] == "host"])
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == hosts_with(
        doc, lambda e, i, r: r["engine"] == "host")

    apply(page, check="sqlserver.database_state", status="failed")
    assert visible_attr(page, "#findings .group", "data-code") == ["sqlserver.database_state/offline"]
    offline = hosts_with(doc, lambda e, i, r: r["id"] == "sqlserver.database_state" and r["status"] == "failed")
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == offline
    assert 0 < len(offline) < 300

    apply(page, disposition="accepted")
    assert set(visible_attr(page, "#findings .group", "data-disposition")) == {"accepted"}
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == hosts_with(
        doc, lambda e, i, r: r["status"] != "passed" and disposition(e, i) == "accepted")

    apply(page, verdict="not_evaluated")
    not_evaluated = sorted(n for n, e in doc["hosts"].items() if e["verdict"] == "not_evaluated")
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == not_evaluated

    apply(page, host="db0001")
    hosts = sorted(n for n in doc["hosts"] if "db0001" in n)
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == hosts
    assert set(visible_attr(page, "#findings .group tr[data-host]", "data-host")) <= set(hosts)

    apply(page, q="offline")
    assert sorted(visible_attr(page, "#hosts details.host", "data-host")) == offline
    assert "sqlserver.database_state/offline" in visible_attr(page, "#findings .group", "data-code")

    apply(page, sort="hosts")
    counts = [int(c) for c in visible_attr(page, "#section-blocking > .group", "data-hostcount")]
    assert counts == sorted(counts, reverse=True) and len(counts) > 1

    page.click("#filters button[type=reset]")
    page.wait_for_timeout(50)
    assert visible(page, "#hosts details.host") == 300


def test_a_host_link_leads_to_the_host(page, fleet_report):
    apply(page, verdict="ready")  # the blocked host linked below is hidden by this filter
    link = page.locator("#section-blocking .group tr[data-host] a").first
    host = link.text_content()
    page.locator("#section-blocking .group").first.evaluate("el => el.open = true")
    page.click("#filters button[type=reset]")
    page.wait_for_timeout(50)
    apply(page, verdict="ready")
    page.evaluate("h => { location.hash = h; }", link.get_attribute("href"))
    target = page.locator("details.host.targeted")
    target.wait_for()
    assert target.get_attribute("data-host") == host
    assert target.evaluate("el => el.open && !el.closest('[hidden]')")
    assert target.is_visible() and "blocked" in target.text_content()
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 1000
    page.screenshot(path=os.path.join(OUTPUT, "report-html-host.png"))


def test_the_page_reads_with_javascript_off(browser, fleet_report):
    doc, path = fleet_report
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("file://" + path)
    assert not page.is_visible("#filters")
    assert page.text_content("#count-blocked") == str(doc["summary"]["blocked"])
    assert page.is_visible("#section-blocking h3")
    assert visible(page, "#hosts details.host") == 300
    context.close()


def test_the_page_reads_under_a_strict_content_security_policy(browser, fleet_report):
    """Jenkins' default CSP forbids inline style and script: the page degrades to plain HTML."""
    doc, path = fleet_report
    with open(path, "rb") as handle:
        body = handle.read()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.route("http://jenkins.invalid/**", lambda route: route.fulfill(
        status=200, body=body, headers={"Content-Type": "text/html; charset=utf-8",
                                        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; "
                                                                   "style-src 'self';"}))
    page.goto("http://jenkins.invalid/job/precheck/ws/precheck.html")
    assert not page.is_visible("#filters")  # the script did not run
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "system-ui"
    assert page.text_content("#count-hosts") == str(doc["summary"]["hosts"])
    assert page.locator("#section-blocking .group summary").first.is_visible()
    assert "blocked" in page.inner_text("#headline")
    page.screenshot(path=os.path.join(OUTPUT, "report-html-csp.png"))
    context.close()
