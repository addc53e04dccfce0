// Open a BPMN file from disk in the viewer or the modeler (whichever bundle the page loaded) and
// validate it on the server; findings are listed and marked on the diagram.
(function () {
  "use strict";
  var box = document.getElementById("bpmn-canvas");
  var input = document.getElementById("open-file");
  if (!box || !input) return;
  if (!window.BpmnJS) { box.textContent = box.getAttribute("data-missing"); return; }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var options = { container: box };
  if (box.getAttribute("data-mode") === "modeler" && window.TongbanSpiffModdle) {
    options.moddleExtensions = { spiffworkflow: window.TongbanSpiffModdle };
  }
  var diagram = new window.BpmnJS(options);
  var marked = [];
  var errors = [];
  diagram.get("eventBus").on("import.done", function (e) { errors = (e.warnings || []).map(String); });

  function open(name, xml) {
    box.setAttribute("data-rendered", "pending");
    box.setAttribute("data-file", name);
    var shown = /\.dmn$/i.test(name) ? Promise.resolve(box.setAttribute("data-rendered", "dmn")) : diagram.importXML(xml).then(function (result) {
      diagram.get("canvas").zoom("fit-viewport");
      box.setAttribute("data-import-warnings", String((result.warnings || []).length));
      box.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      box.setAttribute("data-rendered", "error");
      box.setAttribute("data-error", String(err && err.message || err));
    });
    var form = new FormData();
    form.append("file", new Blob([xml], { type: "application/xml" }), name);
    var checked = fetch(box.getAttribute("data-validate-url"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }, body: form,
    }).then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
    return Promise.all([shown, checked]).then(function (res) {
      var report = res[1].body;
      var findings = document.getElementById("findings");
      findings.setAttribute("data-status", String(res[1].status));
      window.TongbanFindings.render(findings, report, {}, null);
      if (box.getAttribute("data-rendered") === "true") marked = window.TongbanFindings.mark(diagram, report, marked);
      findings.setAttribute("data-done", name);
    });
  }

  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    file.text().then(function (xml) { return open(file.name, xml); });
  });
  window.tongbanOpen = { open: open, diagram: diagram, importWarnings: function () { return errors; } };
})();
