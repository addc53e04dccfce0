// The draft workbench: bpmn-js Modeler with the platform's properties panel, the dmn-js decision-table
// editor (XML as a fallback view), the forms editor and the item form; save (draft), validate (findings
// on the diagram or the table and in a list) and deploy.
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  if (!root) return;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var status = document.getElementById("workbench-status");
  var canvasBox = document.getElementById("modeler-canvas");
  var state = { files: {}, forms: {}, item: {}, lock_version: null, current: null, dirty: false, marked: [] };
  var labels = {}, modeler, panel, formsEditor, itemForm, urls, dmn;
  var dmnBox = document.getElementById("dmn-box");
  var panelBox = document.getElementById("properties-panel");

  function say(message, kind) {
    status.textContent = message;
    status.setAttribute("data-kind", kind || "info");
  }
  function changed() { state.dirty = true; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  var xmlEditor = document.getElementById("xml-editor");
  function isDmn(name) { return /\.dmn$/i.test(name || ""); }

  function storeCurrent() {
    if (!modeler || !state.current) return Promise.resolve();
    if (isDmn(state.current)) {
      var name = state.current;
      return dmn.xml().then(function (xml) { state.files[name] = xml; });
    }
    return modeler.saveXML({ format: true }).then(function (res) { state.files[state.current] = res.xml; });
  }

  function content() {
    formsEditor.flush();
    return storeCurrent().then(function () {
      return { files: state.files, forms: state.forms, item: state.item, lock_version: state.lock_version };
    });
  }

  function openFile(name) {
    return storeCurrent().then(function () {
      state.current = name;
      // DMN files open in the decision-table editor (dmn-js); BPMN files in the diagram modeler.
      canvasBox.hidden = isDmn(name);
      panelBox.hidden = isDmn(name);
      dmnBox.hidden = !isDmn(name);
      if (isDmn(name)) {
        xmlEditor.hidden = true;
        return dmn.open(state.files[name]).then(function () { return "dmn"; });
      }
      xmlEditor.hidden = true;
      return modeler.importXML(state.files[name]);
    }).then(function (kind) {
      if (kind === "dmn") {
        dmnBox.setAttribute("data-file", name);
        canvasBox.setAttribute("data-file", name);
        if (state.report) dmn.mark(findingsOf(state.report, name));
        return;
      }
      modeler.get("canvas").zoom("fit-viewport");
      canvasBox.setAttribute("data-rendered", "true");
      canvasBox.setAttribute("data-file", name);
      if (state.report) state.marked = window.TongbanFindings.mark(modeler, state.report, state.marked);
    }).catch(function (err) {
      canvasBox.setAttribute("data-rendered", "error");
      say(String(err), "error");
    });
  }

  function findingsOf(report, file) {
    return (report.errors || []).concat(report.warnings || []).filter(function (f) { return f.file === file; });
  }

  function pick(f) {
    var go = function () {
      if (isDmn(state.current)) { dmn.select(f.element_id); return; }
      var el = modeler.get("elementRegistry").get(f.element_id);
      if (el) { modeler.get("selection").select(el); modeler.get("canvas").scrollToElement(el); }
    };
    if (f.file && state.files[f.file] && f.file !== state.current) {
      document.getElementById("file-select").value = f.file;
      openFile(f.file).then(go);
    } else go();
    if (f.file === "item.yaml") showTab("tab-item");
    else if (f.file && /\.json$/.test(f.file)) { showTab("tab-forms"); formsEditor.refreshList(f.file); }
    else showTab("tab-model");
  }

  function showReport(report) {
    state.report = report;
    window.TongbanFindings.render(document.getElementById("findings"), report, labels, pick);
    if (isDmn(state.current)) dmn.mark(findingsOf(report, state.current));
    else state.marked = window.TongbanFindings.mark(modeler, report, state.marked);
    itemForm.showFindings((report.errors || []).concat(report.warnings || []));
  }

  function save() {
    return content().then(function (body) { return post(urls.save, body); }).then(function (res) {
      if (res.status === 200) { state.lock_version = res.data.lock_version; state.dirty = false; say(labels.saved, "success"); }
      else say((res.data.error || {}).message || res.status, "error");
      return res;
    });
  }

  function validate() {
    say(labels.validating);
    return content().then(function (body) { return post(urls.validate, body); }).then(function (res) {
      if (res.status !== 200) { say((res.data.error || {}).message || res.status, "error"); return res; }
      showReport(res.data);
      say(res.data.valid ? labels.valid : labels.invalid, res.data.valid ? "success" : "error");
      return res;
    });
  }

  function deploy() {
    say(labels.deploying);
    return content().then(function (body) { return post(urls.deploy, body); }).then(function (res) {
      if (res.status === 201 || res.status === 200) {
        state.lock_version = res.data.lock_version; state.dirty = false;
        say((res.status === 201 ? labels.deployed : labels.unchanged) + " " + res.data.version, "success");
        root.setAttribute("data-deployed", res.data.version);
        var link = document.createElement("a");
        link.href = res.data.url; link.textContent = labels.to_item; link.id = "deployed-link";
        status.appendChild(document.createTextNode(" ")); status.appendChild(link);
      } else {
        var details = (res.data.error || {}).details;
        if (details && details.errors) showReport(details);
        say((res.data.error || {}).message || res.status, "error");
      }
      return res;
    });
  }

  function showTab(id) {
    document.querySelectorAll(".tab-panel").forEach(function (p) { p.hidden = p.id !== id; });
    document.querySelectorAll(".tabs a").forEach(function (a) {
      if (a.getAttribute("data-tab") === id) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
  }

  document.querySelectorAll(".tabs a").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); showTab(a.getAttribute("data-tab")); });
  });

  if (!window.BpmnJS) { canvasBox.textContent = root.getAttribute("data-missing"); return; }

  fetch(root.getAttribute("data-content-url"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (doc) {
      state.files = doc.files; state.forms = doc.forms; state.item = doc.item; state.lock_version = doc.lock_version;
      labels = doc.config.labels || {}; urls = doc.urls;
      modeler = new window.BpmnJS({
        container: canvasBox,
        moddleExtensions: { spiffworkflow: window.TongbanSpiffModdle },
        additionalModules: window.TongbanTranslate ? [window.TongbanTranslate.module] : [],
      });
      modeler.get("eventBus").on("commandStack.changed", changed);
      xmlEditor.addEventListener("input", changed);
      dmn = new window.TongbanDmn(dmnBox, { xmlEditor: xmlEditor, onChange: changed });
      var ctx = {
        config: doc.config, labels: labels, onChange: changed, status: say,
        forms: function () { return state.forms; },
        createForm: function (taskId, title) { formsEditor.create(taskId + ".json", title); },
      };
      panel = new window.TongbanProperties(modeler, document.getElementById("properties-panel"), ctx);
      formsEditor = new window.TongbanForms(state, { labels: labels, previewUrl: urls.preview, csrf: csrf, onChange: changed });
      itemForm = new window.TongbanItemForm(state, document.getElementById("item-form"), ctx);
      var select = document.getElementById("file-select");
      Object.keys(state.files).sort().forEach(function (n) {
        var opt = document.createElement("option"); opt.value = n; opt.textContent = n; select.appendChild(opt);
      });
      select.value = doc.main;
      select.addEventListener("change", function () { openFile(select.value); });
      document.getElementById("btn-save").addEventListener("click", save);
      document.getElementById("btn-validate").addEventListener("click", validate);
      document.getElementById("btn-deploy").addEventListener("click", deploy);
      document.getElementById("btn-new-form").addEventListener("click", function () {
        var el = panel.element;
        if (el && el.type === "bpmn:UserTask") formsEditor.create(el.id + ".json", el.businessObject.name);
      });
      window.addEventListener("beforeunload", function (e) { if (state.dirty) { e.preventDefault(); e.returnValue = ""; } });
      // For the browser tests and the curious: the modeler and the draft being edited.
      window.tongbanWorkbench = { modeler: modeler, dmn: dmn, state: state, save: save, validate: validate, deploy: deploy };
      return openFile(doc.main);
    })
    .catch(function (err) { canvasBox.setAttribute("data-rendered", "error"); say(String(err), "error"); });
})();
