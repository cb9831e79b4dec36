// Debrief web UI: keyboard shortcuts and small conveniences. No inline scripts (CSP), no build step.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] tbody tr[data-href]"));
  }
  var selected = -1;
  function select(i) {
    var r = rows();
    if (!r.length) return;
    selected = Math.max(0, Math.min(r.length - 1, i));
    r.forEach(function (row, n) { row.classList.toggle("selected", n === selected); });
    r[selected].scrollIntoView({ block: "nearest" });
  }
  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var help = document.getElementById("help");
    if (typing(e)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") { window.location.href = "/incidents"; e.preventDefault(); }
      return;
    }
    switch (e.key) {
      case "/": {
        var s = document.querySelector("[data-search]");
        if (s) { s.focus(); s.select(); e.preventDefault(); }
        break;
      }
      case "n": {
        var n = document.getElementById("new-incident") || document.querySelector("a[href='/incidents/new']");
        if (n) { window.location.href = "/incidents/new"; e.preventDefault(); }
        break;
      }
      case "g": pendingG = true; break;
      case "j": select(selected + 1); e.preventDefault(); break;
      case "k": select(selected - 1); e.preventDefault(); break;
      case "Enter": {
        var r = rows();
        if (selected >= 0 && r[selected]) { window.location.href = r[selected].getAttribute("data-href"); e.preventDefault(); }
        break;
      }
      case "t": {
        var to = document.querySelector("[data-transition]");
        if (to) { to.focus(); e.preventDefault(); }
        break;
      }
      case "e": {
        var d = document.getElementById("edit");
        if (d) { d.open = true; var f = d.querySelector("input"); if (f) f.focus(); e.preventDefault(); }
        break;
      }
      case "a": case "p": case "d": case "s": case "m": {
        // Triage keys: on an alert's page its controls; in the queue, the selected row's.
        var scope = document;
        var list = rows();
        if (list.length) { if (selected < 0 || !list[selected]) break; scope = list[selected]; }
        var c = scope.querySelector("[data-key='" + e.key + "']");
        if (!c) break;
        if (c.tagName === "BUTTON") c.click(); else c.focus();
        e.preventDefault();
        break;
      }
      case "?":
        if (help && help.showModal) { help.open ? help.close() : help.showModal(); e.preventDefault(); }
        break;
    }
  });
  document.addEventListener("click", function (e) {
    var h = e.target.closest && e.target.closest("[data-help]");
    if (h) { var d = document.getElementById("help"); if (d && d.showModal) d.showModal(); }
    var row = e.target.closest && e.target.closest("tr[data-href]");
    if (row && !e.target.closest("a, button, input, select")) window.location.href = row.getAttribute("data-href");
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]")) e.target.form.submit();
  });
  // After htmx swaps the list, forget the keyboard selection.
  document.addEventListener("htmx:afterSwap", function () { selected = -1; });
})();
