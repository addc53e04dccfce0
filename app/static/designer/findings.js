// Renders validation findings as a list (and, given a modeler, as markers and badges on the diagram).
(function () {
  "use strict";
  function text(el, value) { el.textContent = value == null ? "" : String(value); return el; }
  function make(tag, cls) { var el = document.createElement(tag); if (cls) el.className = cls; return el; }

  function render(box, report, labels, onPick) {
    box.innerHTML = "";
    labels = labels || {};
    var errors = report.errors || [], warnings = report.warnings || [];
    var summary = make("p", errors.length ? "findings-summary has-errors" : "findings-summary ok");
    text(summary, errors.length
      ? (labels.errors || "errors") + ": " + errors.length + " · " + (labels.warnings || "warnings") + ": " + warnings.length
      : (labels.valid || "valid") + (warnings.length ? " · " + (labels.warnings || "warnings") + ": " + warnings.length : ""));
    box.appendChild(summary);
    var list = make("ul", "findings-list");
    [["error", errors], ["warning", warnings]].forEach(function (pair) {
      pair[1].forEach(function (f) {
        var li = make("li", "finding finding-" + pair[0]);
        li.setAttribute("data-element", f.element_id || "");
        var tag = make("span", "finding-kind");
        text(tag, pair[0] === "error" ? (labels.error || "error") : (labels.warning || "warning"));
        li.appendChild(tag);
        var where = [];
        if (f.stage_label) where.push(f.stage_label);
        if (f.file) where.push(f.file + (f.line ? ":" + f.line : ""));
        else if (f.line) where.push((labels.line || "line") + " " + f.line);
        var meta = make("span", "finding-where"); text(meta, where.join(" · ")); li.appendChild(meta);
        if (f.element_id) {
          var el = make(onPick ? "button" : "code", "finding-element");
          if (onPick) { el.type = "button"; el.addEventListener("click", function () { onPick(f); }); }
          text(el, f.element_id); li.appendChild(el);
        }
        var msg = make("span", "finding-message"); text(msg, f.message); li.appendChild(msg);
        list.appendChild(li);
      });
    });
    box.appendChild(list);
    box.setAttribute("data-errors", String(errors.length));
  }

  function mark(modeler, report, previous) {
    var canvas = modeler.get("canvas"), overlays = modeler.get("overlays"), registry = modeler.get("elementRegistry");
    (previous || []).forEach(function (id) { if (registry.get(id)) canvas.removeMarker(id, "has-error"); });
    overlays.remove({ type: "finding" });
    var marked = [];
    var counts = {};
    (report.errors || []).forEach(function (f) {
      if (f.element_id && registry.get(f.element_id)) counts[f.element_id] = (counts[f.element_id] || 0) + 1;
    });
    Object.keys(counts).forEach(function (id) {
      canvas.addMarker(id, "has-error");
      var badge = make("div", "finding-badge");
      badge.setAttribute("data-element", id);
      text(badge, "! " + counts[id]);
      overlays.add(id, "finding", { position: { top: -12, right: 12 }, html: badge });
      marked.push(id);
    });
    return marked;
  }

  window.TongbanFindings = { render: render, mark: mark };
})();
