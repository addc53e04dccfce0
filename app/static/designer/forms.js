// Form editor of the workbench: the form's JSON in a code editor (Ace from npm, a textarea without
// it), checked as it is typed, with a live preview rendered by the server's task-page renderer.
(function () {
  "use strict";

  function FormsEditor(state, ctx) {
    this.state = state;
    this.ctx = ctx; // {labels, previewUrl, csrf, onChange}
    this.select = document.getElementById("form-select");
    this.box = document.getElementById("form-editor");
    this.preview = document.getElementById("form-preview");
    this.findings = document.getElementById("form-findings");
    this.current = null;
    this.timer = null;
    var self = this;
    if (window.ace) {
      window.ace.config.set("useStrictCSP", true);
      this.editor = window.ace.edit(this.box, { mode: "ace/mode/json", useWorker: false, tabSize: 2, minLines: 20, maxLines: 40 });
      this.editor.session.on("change", function () { self.changed(); });
      this.getText = function () { return self.editor.getValue(); };
      this.setText = function (t) { self.editor.setValue(t, -1); };
    } else {
      var area = document.createElement("textarea");
      area.rows = 24;
      area.className = "code-fallback";
      this.box.appendChild(area);
      area.addEventListener("input", function () { self.changed(); });
      this.getText = function () { return area.value; };
      this.setText = function (t) { area.value = t; };
    }
    this.box.setAttribute("data-ready", "true");
    this.select.addEventListener("change", function () { self.open(self.select.value); });
    this.refreshList();
  }

  FormsEditor.prototype.refreshList = function (selected) {
    var names = Object.keys(this.state.forms).sort();
    this.select.innerHTML = "";
    var self = this;
    names.forEach(function (n) {
      var opt = document.createElement("option");
      opt.value = n; opt.textContent = n;
      self.select.appendChild(opt);
    });
    var pick = selected || this.current || names[0];
    if (pick) { this.select.value = pick; this.open(pick); }
  };

  FormsEditor.prototype.open = function (name) {
    this.flush();
    this.current = name;
    this.loading = true;
    this.setText(JSON.stringify(this.state.forms[name], null, 2));
    this.loading = false;
    this.renderPreview();
  };

  FormsEditor.prototype.flush = function () {
    if (!this.current) return true;
    try {
      this.state.forms[this.current] = JSON.parse(this.getText());
      return true;
    } catch (e) {
      return false;
    }
  };

  FormsEditor.prototype.changed = function () {
    if (this.loading) return;
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.renderPreview(); }, 350);
  };

  FormsEditor.prototype.renderPreview = function () {
    var self = this, doc;
    try {
      doc = JSON.parse(this.getText());
    } catch (e) {
      window.TongbanFindings.render(this.findings, { errors: [{ message: String(e.message), file: this.current, stage_label: "JSON" }] }, this.ctx.labels);
      return;
    }
    this.state.forms[this.current] = doc;
    if (this.ctx.onChange) this.ctx.onChange();
    fetch(this.ctx.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.ctx.csrf },
      body: JSON.stringify({ name: this.current, form: doc }),
    }).then(function (r) { return r.json(); }).then(function (body) {
      self.preview.innerHTML = body.html || "";
      self.preview.setAttribute("data-rendered", String(Date.now()));
      var errors = (body.findings || []).filter(function (f) { return f.message && !/title|label/.test(f.element_id || "") || false; });
      window.TongbanFindings.render(self.findings, { errors: (body.findings || []).filter(function (f) { return f.severity !== "warning"; }) }, self.ctx.labels);
      return errors;
    }).catch(function (err) { self.preview.textContent = String(err); });
  };

  FormsEditor.prototype.create = function (name, title) {
    if (!/^[a-z][a-z0-9_]*\.json$/.test(name)) return false;
    if (!this.state.forms[name]) {
      this.state.forms[name] = {
        title: { zh: title || name.replace(/\.json$/, ""), en: name.replace(/\.json$/, "") },
        schema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { opinion: { type: "string", title: "意见", minLength: 1, maxLength: 2000 } },
          required: ["opinion"],
          additionalProperties: false,
        },
        ui: { order: ["opinion"], fields: { opinion: { label: { zh: "意见", en: "Opinion" }, widget: "textarea" } } },
      };
    }
    this.refreshList(name);
    if (this.ctx.onChange) this.ctx.onChange();
    return true;
  };

  window.TongbanForms = FormsEditor;
})();
