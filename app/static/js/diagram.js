// Case diagram: bpmn-js viewer (from npm, copied to /static/vendor) with done and current steps marked.
(function () {
  "use strict";
  var box = document.getElementById("bpmn-canvas");
  if (!box) return;
  if (!window.BpmnJS) { box.textContent = box.getAttribute("data-missing"); return; }
  var viewer = new window.BpmnJS({ container: box });
  function ids(attr) { return (box.getAttribute(attr) || "").split(",").filter(Boolean); }
  fetch(box.getAttribute("data-xml"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      ids("data-done").forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "highlight-done"); });
      ids("data-current").forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "highlight-current"); });
      box.setAttribute("data-rendered", "true");
    })
    .catch(function (err) { box.textContent = String(err); box.setAttribute("data-rendered", "error"); });
})();
