// The workbench's DMN editor: the dmn-js Modeler opened on the file's decision table, with the XML as a
// fallback view. Validation findings on a DMN file mark their cell (or rule row) in the table.
(function () {
  "use strict";

  function TongbanDmn(box, opts) {
    this.box = box;
    this.canvas = box.querySelector("#dmn-canvas");
    this.xmlEditor = opts.xmlEditor;
    this.onChange = opts.onChange || function () {};
    this.mode = window.DmnJS ? "table" : "xml";
    this.modeler = null;
    this.findings = [];
    var self = this;
    this.tableButton = box.querySelector("#dmn-view-table");
    this.xmlButton = box.querySelector("#dmn-view-xml");
    this.tableButton.addEventListener("click", function () { self.show("table"); });
    this.xmlButton.addEventListener("click", function () { self.show("xml"); });
    if (!window.DmnJS) {
      this.tableButton.disabled = true;
      this.canvas.textContent = box.getAttribute("data-missing");
    }
  }

  TongbanDmn.prototype._ensure = function () {
    if (this.modeler || !window.DmnJS) return this.modeler;
    var self = this;
    // per view: dmn-js gives each view its own additionalModules and drops the common ones
    var words = { additionalModules: window.TongbanTranslate ? [window.TongbanTranslate.module] : [] };
    this.modeler = new window.DmnJS({
      container: this.canvas, drd: words, decisionTable: words, literalExpression: words, boxedExpression: words,
    });
    this.modeler.on("views.changed", function () { self._mark(); self._watch(); });
    return this.modeler;
  };

  // Edits in any view of dmn-js (table, DRD) mark the draft as changed and clear stale markers.
  TongbanDmn.prototype._watch = function () {
    var viewer = this.modeler && this.modeler.getActiveViewer();
    if (!viewer || viewer.__tongbanWatched) return;
    viewer.__tongbanWatched = true;
    var self = this;
    viewer.get("eventBus").on("elements.changed", function () { self.onChange(); });
  };

  TongbanDmn.prototype._openTable = function () {
    var table = this.modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? this.modeler.open(table) : Promise.resolve();
  };

  // Show file ``xml``: the decision table when dmn-js can read it, else the XML (with the reason).
  TongbanDmn.prototype.open = function (xml) {
    this.xmlEditor.value = xml;
    if (this.mode === "xml" || !this._ensure()) return this._setMode("xml");
    return this._import(xml);
  };

  TongbanDmn.prototype._import = function (xml) {
    var self = this;
    return this.modeler.importXML(xml).then(function () {
      return self._openTable();
    }).then(function () {
      self._setMode("table");
      self.canvas.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      self.canvas.setAttribute("data-rendered", "error");
      self._setMode("xml");
      throw err;
    });
  };

  TongbanDmn.prototype._setMode = function (mode) {
    this.mode = mode;
    this.canvas.hidden = mode !== "table";
    this.xmlEditor.hidden = mode !== "xml";
    this.tableButton.setAttribute("aria-pressed", String(mode === "table"));
    this.xmlButton.setAttribute("aria-pressed", String(mode === "xml"));
    this.box.setAttribute("data-mode", mode);
    if (mode === "table") this._mark();
    return Promise.resolve(mode);
  };

  // Switch views, carrying the edits across: table → XML writes the XML; XML → table imports it.
  TongbanDmn.prototype.show = function (mode) {
    var self = this;
    if (mode === this.mode) return Promise.resolve(mode);
    if (mode === "xml") {
      return this.xml().then(function (xml) { self.xmlEditor.value = xml; return self._setMode("xml"); });
    }
    if (!this._ensure()) return Promise.resolve(this.mode);
    return this._import(this.xmlEditor.value).catch(function (err) {
      self.box.setAttribute("data-import-error", String(err && err.message || err));
    });
  };

  // The current XML of the file (from the table when it is shown).
  TongbanDmn.prototype.xml = function () {
    if (this.mode !== "table" || !this.modeler) return Promise.resolve(this.xmlEditor.value);
    return this.modeler.saveXML({ format: true }).then(function (res) { return res.xml; });
  };

  // Findings of this file: mark every cell (or the row of a rule) they name.
  TongbanDmn.prototype.mark = function (findings) {
    this.findings = findings || [];
    this._mark();
  };

  TongbanDmn.prototype._mark = function () {
    var canvas = this.canvas;
    canvas.querySelectorAll(".dmn-finding").forEach(function (el) {
      el.classList.remove("dmn-finding");
      el.removeAttribute("title");
    });
    this.findings.forEach(function (f) {
      if (!f.element_id) return;
      var id = window.CSS && CSS.escape ? CSS.escape(f.element_id) : f.element_id;
      var cells = canvas.querySelectorAll('[data-element-id="' + id + '"], td[data-row-id="' + id + '"]');
      cells.forEach(function (el) {
        el.classList.add("dmn-finding");
        el.setAttribute("title", f.message);
      });
    });
  };

  // Scroll a finding's cell into view (from the list of findings).
  TongbanDmn.prototype.select = function (elementId) {
    if (this.mode !== "table" || !elementId) return;
    var id = window.CSS && CSS.escape ? CSS.escape(elementId) : elementId;
    var el = this.canvas.querySelector('[data-element-id="' + id + '"]');
    if (el) {
      el.scrollIntoView({ block: "center" });
      el.classList.add("dmn-picked");
      setTimeout(function () { el.classList.remove("dmn-picked"); }, 1500);
    }
  };

  window.TongbanDmn = TongbanDmn;
})();
