// A deployed version's diagram in the bpmn-js viewer; file links switch between the version's files.
(function () {
  "use strict";
  var box = document.getElementById("bpmn-canvas");
  if (!box) return;
  if (!window.BpmnJS) { box.textContent = box.getAttribute("data-missing"); return; }
  var viewer = new window.BpmnJS({ container: box });
  function show(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () { viewer.get("canvas").zoom("fit-viewport"); box.setAttribute("data-rendered", "true"); })
      .catch(function (err) { box.textContent = String(err); box.setAttribute("data-rendered", "error"); });
  }
  document.querySelectorAll(".diagram-file").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); show(a.getAttribute("data-file-url")); });
  });
  show(box.getAttribute("data-xml"));
})();
