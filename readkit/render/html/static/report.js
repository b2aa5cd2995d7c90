// readkit report: annotation details on hover, focus (Tab) and click (Enter);
// the legend toggles roles. No network, no libraries: works from file://.
(function () {
  "use strict";
  var node = document.getElementById("rk-data");
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var S = data.strings;
  var tip = document.getElementById("tip");
  var code = document.getElementById("code");
  var pinned = null;
  // every annotated span is a tab stop, in reading order (set here to keep pages small)
  Array.prototype.forEach.call(code.querySelectorAll(".a"), function (el) { el.tabIndex = 0; });

  function s(i) { return i < 0 ? null : S[i]; }
  function where(line) {
    var cell = data.cells && data.cells[line - 1];
    return cell ? "cell " + cell[0] + ", line " + cell[1] : "line " + line;
  }
  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function row(name, value, isCode) {
    if (value === null || value === undefined || value === "") { return ""; }
    return "<dt>" + esc(name) + "</dt><dd>" + (isCode ? "<code>" + esc(value) + "</code>" : esc(value)) + "</dd>";
  }
  function observed(line) {
    var o = data.obs[String(line)];
    if (!o) { return ""; }
    var text = o[0] + " torch call" + (o[0] === 1 ? "" : "s");
    if (o[2].length) { text += "; produced " + o[2].join(", "); }
    return row("ran", text) + row("called", o[3].join(", "), false);
  }
  function annotationHtml(i) {
    var a = data.ann[i];  // [line, role, evidence, symbol, message, rule, step, verdict]
    var role = data.roles[s(a[1])] || ["", null];
    var step = s(a[6]);
    return "<div><span class=\"role\">[" + esc(s(a[1])) + "]</span> " + esc(s(a[4])) + "</div><dl>" +
      row("role", s(a[1]) + " \u2014 " + role[0]) + row("evidence", s(a[2])) + row("symbol", s(a[3]), true) +
      row("where", where(a[0])) + row("run", s(a[7])) + observed(a[0]) +
      row("see it run", step ? "readkit run-reference --step " + step : null, true) + "</dl>";
  }
  function legacyHtml(i) {
    var f = data.legacy[i];  // [line, idiom, message, replacement, modern, step]
    var step = s(f[5]);
    return "<div><span class=\"role\">[legacy " + esc(s(f[1])) + "]</span> " + esc(s(f[2])) + "</div><dl>" +
      row("where", where(f[0])) + row("replace with", s(f[3]), true) + row("modern form", s(f[4]), true) +
      row("see it run", step ? "readkit run-reference --step " + step : null, true) + "</dl>";
  }
  function problemHtml(i) {
    var p = data.problems[i];  // [line, check, message]
    return "<div><span class=\"role\">[problem " + esc(s(p[1])) + "]</span> " + esc(s(p[2])) + "</div><dl>" +
      row("where", where(p[0])) + observed(p[0]) + "</dl>";
  }
  function contentFor(el) {
    if (el.dataset.a !== undefined) { return annotationHtml(+el.dataset.a); }
    if (el.dataset.l !== undefined) { return legacyHtml(+el.dataset.l); }
    if (el.dataset.p !== undefined) { return problemHtml(+el.dataset.p); }
    return null;
  }
  function target(ev) {
    var el = ev.target;
    return el && el.closest ? el.closest("[data-a],[data-l],[data-p]") : null;
  }
  function show(el) {
    var html = contentFor(el);
    if (html === null) { return; }
    tip.innerHTML = html;
    tip.hidden = false;
    var box = el.getBoundingClientRect();
    var left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - 580));
    tip.style.left = left + "px";
    tip.style.top = (box.bottom + window.scrollY + 6) + "px";
    el.setAttribute("aria-describedby", "tip");
  }
  function hide() { if (!pinned) { tip.hidden = true; } }

  document.addEventListener("mouseover", function (ev) { var el = target(ev); if (el && !pinned) { show(el); } });
  document.addEventListener("mouseout", function (ev) { if (target(ev)) { hide(); } });
  // a pinned tip (click or Enter) stays while the reader selects text in it; Tab moves on
  document.addEventListener("focusin", function (ev) {
    var el = target(ev);
    if (el) { if (pinned !== el) { pinned = null; } show(el); }
  });
  document.addEventListener("focusout", function (ev) { if (target(ev)) { hide(); } });
  document.addEventListener("click", function (ev) {
    var el = target(ev);
    if (el) { pinned = el; show(el); ev.stopPropagation(); } else if (!tip.contains(ev.target)) { pinned = null; tip.hidden = true; }
  });
  document.addEventListener("keydown", function (ev) {
    var el = target(ev);
    if (ev.key === "Enter" && el) { pinned = el; show(el); ev.preventDefault(); }
    if (ev.key === "Escape") { pinned = null; tip.hidden = true; }
  });

  var buttons = document.querySelectorAll(".legend button[data-role]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      code.classList.toggle("hide-" + button.dataset.role, !on);
    });
  });
}());
