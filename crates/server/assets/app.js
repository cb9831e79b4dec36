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
      case "x": {
        // In the queue: select the keyboard's row for the bulk actions.
        var listed = rows();
        if (selected >= 0 && listed[selected]) {
          var box = listed[selected].querySelector("input[type=checkbox][data-key='x']");
          if (box) { box.checked = !box.checked; e.preventDefault(); }
        }
        break;
      }
      case "a": case "p": case "d": case "s": case "m": {
        // Triage keys: on an alert's page its controls; in the queue, the selected row's.
        var scope = document;
        var list = rows();
        if (list.length) { if (selected < 0 || !list[selected]) break; scope = list[selected]; }
        var c = scope.querySelector("[data-key='" + e.key + "']");
        if (!c) break;
        // A row's controls sit in its action menu: open it to show what the key did.
        var menu = c.closest("details");
        if (menu && !menu.open) menu.open = true;
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
    if (row && !e.target.closest("a, button, input, select, label, details")) window.location.href = row.getAttribute("data-href");
  });
  // The bulk bar shows the fields its action uses (all of them without JavaScript).
  function bulkFields() {
    var action = document.getElementById("bulk-action");
    if (!action) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-bulk-for]"), function (f) {
      f.hidden = f.getAttribute("data-bulk-for") !== action.value;
    });
  }
  bulkFields();
  document.addEventListener("change", function (e) {
    if (e.target.id === "bulk-action") bulkFields();
    if (e.target.matches && e.target.matches("[data-select-all]")) {
      var all = e.target.checked;
      Array.prototype.forEach.call(document.querySelectorAll("input[type=checkbox][form=bulk]"), function (b) { b.checked = all; });
    }
    if (e.target.matches && e.target.matches("[data-autosubmit]")) e.target.form.submit();
  });
  // After htmx swaps the list, forget the keyboard selection.
  document.addEventListener("htmx:afterSwap", function () { selected = -1; });
  // Live updates: a page that names a stream on <body data-live> re-reads itself when told
  // that what it shows changed (Server-Sent Events, see web/live.rs) — unless the reader has
  // typed something, which is never thrown away: then a note offers to show the changes.
  function edited(root) {
    var fields = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden" || f.type === "submit" || f.type === "button") continue;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        var def = f.multiple ? -2 : 0;
        for (var j = 0; j < f.options.length; j++) {
          if (f.multiple && f.options[j].selected !== f.options[j].defaultSelected) return true;
          if (!f.multiple && f.options[j].defaultSelected) def = j;
        }
        if (!f.multiple && f.selectedIndex !== def) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    var a = document.activeElement;
    return !!(a && root.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "hidden");
  }
  var liveSource = document.body && document.body.getAttribute("data-live");
  var note = document.getElementById("live-note");
  var pending = null;
  function tell() {
    if (note) note.hidden = false;
  }
  function refresh() {
    pending = null;
    var main = document.querySelector("main");
    if (!main) return;
    if (edited(main)) { tell(); return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var current = document.querySelector("main");
        if (!current || edited(current)) { tell(); return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        if (!fresh) return;
        var open = Array.prototype.map.call(current.querySelectorAll("details[open][id]"), function (d) { return d.id; });
        var y = window.scrollY;
        current.replaceWith(fresh);
        open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
        if (doc.title) document.title = doc.title;
        window.scrollTo(0, y);
        selected = -1;
        if (note) note.hidden = true;
        if (window.htmx) window.htmx.process(fresh);
        bulkFields();
        document.body.setAttribute("data-live-updated", String(Date.now()));
      })
      .catch(function () {});
  }
  // At most one read a second, however fast changes come (a busy alert feed).
  var lastRead = 0;
  function soon() {
    if (pending) return;
    pending = setTimeout(function () { lastRead = Date.now(); refresh(); }, Math.max(200, 1000 - (Date.now() - lastRead)));
  }
  if (liveSource && window.EventSource) {
    var lost = false;
    var source = new EventSource(liveSource);
    source.addEventListener("changed", soon);
    source.addEventListener("error", function () { lost = true; });
    // Back after the stream broke (a restart, a proxy's time-out): changes may have been missed.
    source.addEventListener("open", function () { if (lost) soon(); lost = false; });
    document.body.setAttribute("data-live-open", "1");
  }
})();
