(function () {
  "use strict";
  // Everything here is an enhancement: the page is complete without it.
  var form = document.getElementById("filters");
  if (!form) { return; }
  var slice = Array.prototype.slice;
  var groups = slice.call(document.querySelectorAll("#findings .group"));
  var hosts = slice.call(document.querySelectorAll("#hosts details.host"));
  var matrixBody = document.querySelector("table.matrix tbody");
  var rows = matrixBody ? slice.call(matrixBody.rows) : [];
  var reasons = slice.call(document.querySelectorAll("#not-evaluated tr[data-host]"));
  var shown = document.getElementById("shown");
  var texts = new Map();
  form.hidden = false;

  // Tokens are <check column><status letter><disposition letter> (report_html.py writes them).
  var checkSelect = form.elements.check;
  var columnOf = {}, engineOf = [];
  slice.call(checkSelect.options).forEach(function (option) {
    if (option.value) { columnOf[option.value] = option.dataset.col; engineOf[Number(option.dataset.col)] = option.dataset.engine; }
  });
  function letter(select) {
    var option = select.options[select.selectedIndex];
    return option && option.value ? option.dataset.letter : "";
  }

  function values() {
    var data = {};
    ["status", "engine", "check", "disposition", "verdict", "host", "q", "sort"].forEach(function (name) {
      data[name] = (form.elements[name].value || "").trim();
    });
    data.host = data.host.toLowerCase();
    data.q = data.q.toLowerCase();
    data.statusLetter = letter(form.elements.status);
    data.dispositionLetter = letter(form.elements.disposition);
    data.column = data.check ? columnOf[data.check] : "";
    return data;
  }

  var TOKEN = /^(\d+)([A-Z])([a-z]?)$/;
  var parsed = new Map();
  function tokensOf(el) {
    var list = parsed.get(el);
    if (list === undefined) {
      list = [];
      (el.dataset.tokens || "").split(" ").forEach(function (token) {
        var m = TOKEN.exec(token);
        if (m) { list.push([m[1], m[2], m[3]]); }
      });
      parsed.set(el, list);
    }
    return list;
  }
  // All given filters must hold for one token (one kind of result of the host).
  function tokensMatch(el, f) {
    if (!f.status && !f.engine && !f.check && !f.disposition) { return true; }
    var list = tokensOf(el);
    for (var i = 0; i < list.length; i++) {
      var t = list[i];
      if ((!f.check || t[0] === f.column) && (!f.engine || engineOf[Number(t[0])] === f.engine) &&
          (!f.status || t[1] === f.statusLetter) && (!f.disposition || t[2] === f.dispositionLetter)) { return true; }
    }
    return false;
  }

  function hostsMatch(names, needle) {
    if (!needle) { return true; }
    return names.toLowerCase().split(" ").some(function (n) { return n.indexOf(needle) >= 0; });
  }

  function text(el) {
    var value = texts.get(el);
    if (value === undefined) { value = el.textContent.toLowerCase(); texts.set(el, value); }
    return value;
  }

  function groupMatches(g, f) {
    var d = g.dataset;
    if ((f.status && d.status !== f.status) || (f.engine && d.engine !== f.engine) ||
        (f.check && d.check !== f.check) || (f.disposition && d.disposition !== f.disposition)) { return false; }
    var visibleRows = 1;
    // Rows are only touched while a host filter is (or was) set: a fleet's groups have many.
    if (f.host || g.dataset.rowsFiltered) {
      var targetRows = slice.call(g.querySelectorAll("tr[data-host]"));
      if (f.host && targetRows.length) {
        visibleRows = 0;
        targetRows.forEach(function (tr) {
          var ok = tr.dataset.host.toLowerCase().indexOf(f.host) >= 0;
          tr.hidden = !ok;
          if (ok) { visibleRows += 1; }
        });
        g.dataset.rowsFiltered = "1";
      } else {
        targetRows.forEach(function (tr) { tr.hidden = false; });
        delete g.dataset.rowsFiltered;
      }
    }
    if (!visibleRows) { return false; }
    return !f.q || text(g).indexOf(f.q) >= 0;
  }

  function apply() {
    var f = values();
    var counts = {groups: 0, hosts: 0, rows: 0};
    groups.forEach(function (g) {
      var ok = groupMatches(g, f) && (!f.verdict || verdictHasGroup(g, f.verdict));
      g.hidden = !ok;
      if (ok) { counts.groups += 1; }
    });
    hosts.forEach(function (h) {
      var d = h.dataset;
      var ok = (!f.verdict || d.verdict === f.verdict) && hostsMatch(d.host, f.host) && tokensMatch(h, f) &&
        (!f.q || text(h).indexOf(f.q) >= 0);
      h.hidden = !ok;
      if (ok) { counts.hosts += 1; }
    });
    rows.forEach(function (tr) {
      var d = tr.dataset;
      var ok = (!f.verdict || d.verdict === f.verdict) && hostsMatch(d.hosts, f.host) && tokensMatch(tr, f);
      tr.hidden = !ok;
      if (ok) { counts.rows += 1; }
    });
    reasons.forEach(function (tr) {
      tr.hidden = !hostsMatch(tr.dataset.host, f.host);
    });
    if (f.sort !== sortedBy) { sortGroups(f.sort); sortedBy = f.sort; }
    shown.textContent = counts.groups + " finding group(s), " + counts.hosts + " host(s) shown";
  }

  // A group is kept under a verdict filter when one of its hosts has that verdict.
  var verdictOf = {};
  hosts.forEach(function (h) { verdictOf[h.dataset.host] = h.dataset.verdict; });
  function verdictHasGroup(g, verdict) {
    return slice.call(g.querySelectorAll("tr[data-host]")).some(function (tr) {
      return verdictOf[tr.dataset.host] === verdict;
    });
  }

  var sortedBy = "severity";
  var statusRank = {error: 0, failed: 1, warning: 2, passed: 3, skipped: 4, "": 5};
  function sortGroups(how) {
    document.querySelectorAll("#findings section.section").forEach(function (section) {
      var items = slice.call(section.querySelectorAll(":scope > .group, :scope > ul > .group"));
      if (!items.length) { return; }
      var parent = items[0].parentNode;
      items.sort(function (a, b) {
        var x = a.dataset, y = b.dataset;
        if (how === "hosts") { return (y.hostcount - x.hostcount) || (y.targets - x.targets); }
        if (how === "code") { return x.code < y.code ? -1 : x.code > y.code ? 1 : 0; }
        return x.order - y.order;  // the report's own order: most widespread first, "not run" last
      });
      items.forEach(function (item) { parent.appendChild(item); });
    });
  }

  var verdictRank = {not_evaluated: 0, blocked: 1, error: 2, failed: 3, warning: 4, skipped: 5, passed: 6, ready: 7};
  var direction = {};
  document.querySelectorAll("button.sort").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.dataset.sort + (button.dataset.col || "");
      direction[key] = -(direction[key] || -1);
      var col = Number(button.dataset.col);
      rows.sort(function (a, b) {
        var result;
        if (button.dataset.sort === "host") {
          result = a.dataset.hosts < b.dataset.hosts ? -1 : a.dataset.hosts > b.dataset.hosts ? 1 : 0;
        } else if (button.dataset.sort === "verdict") {
          result = verdictRank[a.dataset.verdict] - verdictRank[b.dataset.verdict];
        } else {
          var x = (a.cells[col + 1].title || ""), y = (b.cells[col + 1].title || "");
          result = statusRank[x] - statusRank[y];
        }
        return result * direction[key];
      });
      rows.forEach(function (tr) { matrixBody.appendChild(tr); });
    });
  });

  // Following a host link shows that host even if the filters hid it.
  function showTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el || !el.classList.contains("host")) { return; }
    if (el.hidden) { form.reset(); apply(); }
    hosts.forEach(function (h) { h.classList.remove("targeted"); });
    el.classList.add("targeted");
    el.open = true;
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", showTarget);

  document.querySelectorAll("pre.fix").forEach(function (pre) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent.replace(/Copy$/, "")).then(function () {
        button.textContent = "Copied";
      });
    });
    pre.appendChild(button);
  });

  var timer = null;
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  // Nothing is filtered yet: only the count is shown, so that a fleet's page opens at once.
  shown.textContent = groups.length + " finding group(s), " + hosts.length + " host(s) shown";
  showTarget();
}());
