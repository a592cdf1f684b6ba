// The class report's only script: sorting the table, opening a student's details from a link,
// opening everything before printing. The page reads fully without it (<details> opens on its
// own). A failure is recorded on <html data-js-error> so the browser test can see it.
(function () {
  "use strict";
  var root = document.documentElement;
  window.addEventListener("error", function (e) {
    root.setAttribute("data-js-error", String(e.message || e));
  });

  var table = document.getElementById("student-table");
  var heads = table ? table.tHead.rows[0].cells : [];
  function cellValue(row, col, numeric) {
    var v = row.cells[col].getAttribute("data-v");
    if (v === null) v = row.cells[col].textContent;
    return numeric ? parseFloat(v) : v;
  }
  function sortBy(col, ascending) {
    var numeric = heads[col].getAttribute("data-type") === "num";
    var lang = root.lang || "en";
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    rows.sort(function (a, b) {
      // Submissions the grader could not grade stay at the bottom, whatever the order.
      var ea = a.hasAttribute("data-err") ? 1 : 0, eb = b.hasAttribute("data-err") ? 1 : 0;
      if (ea !== eb) return ea - eb;
      var x = cellValue(a, col, numeric), y = cellValue(b, col, numeric), d;
      if (numeric) d = x - y; else d = x.localeCompare(y, lang);
      if (!ascending) d = -d;
      return d || parseInt(a.getAttribute("data-i"), 10) - parseInt(b.getAttribute("data-i"), 10);
    });
    rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    Array.prototype.forEach.call(heads, function (th, i) {
      if (th.hasAttribute("aria-sort")) {
        th.setAttribute("aria-sort", i === col ? (ascending ? "ascending" : "descending") : "none");
      }
    });
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      sortBy(col, th.getAttribute("aria-sort") !== "ascending");
    });
  });

  // A link to #s-N opens that student's details.
  function openTarget() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  var all = document.querySelectorAll("details.student");
  var tools = document.getElementById("details-tools");
  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (e) {
      var act = e.target.getAttribute("data-act");
      if (!act) return;
      Array.prototype.forEach.call(all, function (d) { d.open = act === "open"; });
    });
  }

  // Printing shows every student's details, then puts them back as they were.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(all, function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
  });

  root.setAttribute("data-js", "ready");
})();
