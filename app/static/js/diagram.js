// Case diagram: bpmn-js viewer (from npm, copied to /static/vendor) with done and current steps marked.
// The box tells people and tests what happened: data-rendered = true | error | missing; on success the
// ids it really marked (data-marked-done, data-marked-current) and the importer's warning count
// (data-import-warnings); on failure a message in the page's language (.diagram-error, role=alert).
(function () {
  "use strict";
  var box = document.getElementById("bpmn-canvas");
  if (!box) return;
  function ids(attr) { return (box.getAttribute(attr) || "").split(",").filter(Boolean); }
  function fail(state, message, detail) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "diagram-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.appendChild(p);
    if (detail) box.setAttribute("data-error", detail);
    box.setAttribute("data-rendered", state);
  }
  if (!window.BpmnJS) { fail("missing", box.getAttribute("data-missing")); return; }
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-xml"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function (result) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      var warnings = (result && result.warnings) || [];
      canvas.zoom("fit-viewport");
      function mark(attr, css) {
        var marked = ids(attr).filter(function (id) { return registry.get(id); });
        marked.forEach(function (id) { canvas.addMarker(id, css); });
        box.setAttribute("data-marked-" + attr.replace("data-", ""), marked.join(","));
        return marked;
      }
      mark("data-done", "highlight-done");
      mark("data-current", "highlight-current").forEach(function (id) {
        // a word next to the colour, so the current step is not told by colour alone
        var badge = document.createElement("span");
        badge.className = "diagram-current-badge";
        badge.setAttribute("data-step", id);
        badge.textContent = box.getAttribute("data-current-label");
        overlays.add(id, { position: { top: -22, left: 0 }, html: badge });
      });
      warnings.forEach(function (w) { console.warn("bpmn-js import:", w.message || w); });
      box.setAttribute("data-import-warnings", String(warnings.length));
      box.setAttribute("data-rendered", "true");
    })
    .catch(function (err) {
      fail("error", box.getAttribute("data-failed"), String((err && err.message) || err));
    });
})();
