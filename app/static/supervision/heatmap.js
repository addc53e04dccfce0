// Heat map: average waiting working days per step drawn as colour-coded overlays on the bpmn-js viewer;
// a call activity's badge links to its subprocess diagram.
(function () {
  "use strict";
  var box = document.getElementById("heat-canvas");
  if (!box) return;
  if (!window.BpmnJS) { box.textContent = box.getAttribute("data-missing"); box.setAttribute("data-rendered", "missing"); return; }
  var steps = JSON.parse(box.getAttribute("data-steps") || "[]");
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-xml"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var overlays = viewer.get("overlays");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      steps.forEach(function (s) {
        if (!registry.get(s.bpmn_id)) return;
        canvas.addMarker(s.bpmn_id, "heat-" + s.heat);
        var badge = document.createElement("div");
        badge.className = "heat-badge heat-badge-" + s.heat;
        badge.setAttribute("data-step", s.bpmn_id);
        var unit = box.getAttribute("data-unit") || "WD";
        var label = s.avg_wd + " " + unit;
        if (s.kind === "call") {
          var link = document.createElement("a");
          link.href = box.getAttribute("data-drill") + "&process=" + encodeURIComponent(s.process);
          link.textContent = label + " ▸";
          badge.appendChild(link);
        } else {
          badge.textContent = label;
        }
        badge.title = s.name + ": " + s.tasks + " / " + s.open;
        overlays.add(s.bpmn_id, { position: { top: -14, right: 10 }, html: badge });
      });
      box.setAttribute("data-rendered", "true");
    })
    .catch(function (err) { box.textContent = String(err); box.setAttribute("data-rendered", "error"); });
})();
