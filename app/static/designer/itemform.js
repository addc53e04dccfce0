// The item.yaml fields as a form: every input writes into the draft's item object at its path, and
// validation findings (element ids like "limits.promised_wd") are shown next to their input.
(function () {
  "use strict";

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function set(obj, path, value) {
    var keys = path.split("."), o = obj;
    keys.slice(0, -1).forEach(function (k, i) {
      if (o[k] == null || typeof o[k] !== "object") o[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
      o = o[k];
    });
    var last = keys[keys.length - 1];
    if (value === undefined) delete o[last]; else o[last] = value;
  }
  function make(tag, attrs, textValue) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (textValue != null) el.textContent = textValue;
    return el;
  }

  function ItemForm(state, form, ctx) {
    this.state = state;
    this.form = form;
    this.ctx = ctx; // {config, labels, onChange}
    this.render();
  }

  ItemForm.prototype.L = function (k, d) { return (this.ctx.labels || {})[k] || d || k; };

  ItemForm.prototype.field = function (parent, path, label, kind, options) {
    var self = this, item = this.state.item, value = get(item, path), el;
    var wrap = make("div", { class: "field", "data-field": path });
    var id = "item-" + path.replace(/\./g, "-");
    wrap.appendChild(make("label", { for: id }, label));
    if (kind === "select") {
      el = make("select", { id: id, name: path });
      options.forEach(function (o) {
        var opt = make("option", { value: o.code }, o.label);
        if (o.code === value) opt.selected = true;
        el.appendChild(opt);
      });
    } else if (kind === "textarea" || kind === "lines") {
      el = make("textarea", { id: id, name: path, rows: kind === "lines" ? "4" : "3" });
      el.value = kind === "lines" ? (value || []).join("\n") : (value || "");
    } else if (kind === "bool") {
      el = make("input", { id: id, name: path, type: "checkbox" });
      el.checked = !!value;
    } else {
      el = make("input", { id: id, name: path, type: "text", inputmode: kind === "int" ? "numeric" : "text" });
      el.value = value == null ? "" : value;
    }
    el.addEventListener("change", function () {
      var v;
      if (kind === "int") v = el.value.trim() === "" ? undefined : (/^-?\d+$/.test(el.value.trim()) ? parseInt(el.value, 10) : el.value.trim());
      else if (kind === "intnull") v = el.value.trim() === "" ? null : (/^\d+$/.test(el.value.trim()) ? parseInt(el.value, 10) : el.value.trim());
      else if (kind === "lines") v = el.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      else if (kind === "csv") v = el.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      else if (kind === "bool") v = el.checked;
      else v = el.value;
      set(self.state.item, path, v);
      if (self.ctx.onChange) self.ctx.onChange();
    });
    if (kind === "csv") el.value = (value || []).join(", ");
    wrap.appendChild(el);
    wrap.appendChild(make("p", { class: "field-error", hidden: "" }));
    parent.appendChild(wrap);
    return el;
  };

  ItemForm.prototype.section = function (title) {
    var fs = make("fieldset", { class: "card" });
    fs.appendChild(make("legend", {}, title));
    this.form.appendChild(fs);
    return fs;
  };

  ItemForm.prototype.rows = function (title, key, columns, blank) {
    var self = this, fs = this.section(title);
    var list = get(this.state.item, key) || [];
    if (!Array.isArray(get(this.state.item, key))) set(this.state.item, key, list);
    var table = make("table", { class: "item-rows", "data-list": key });
    var head = make("tr");
    columns.forEach(function (c) { head.appendChild(make("th", {}, c.label)); });
    head.appendChild(make("th"));
    table.appendChild(make("thead")).appendChild(head);
    var body = make("tbody");
    list.forEach(function (_row, i) {
      var tr = make("tr");
      columns.forEach(function (c) {
        var td = make("td");
        self.field(td, key + "." + i + "." + c.path, c.label, c.kind, c.options);
        tr.appendChild(td);
      });
      var del = make("button", { type: "button" }, self.L("remove", "删除"));
      del.addEventListener("click", function () { list.splice(i, 1); self.ctx.onChange(); self.render(); });
      tr.appendChild(make("td")).appendChild(del);
      body.appendChild(tr);
    });
    table.appendChild(body);
    fs.appendChild(table);
    var add = make("button", { type: "button", "data-add": key }, self.L("add", "添加"));
    add.addEventListener("click", function () { list.push(JSON.parse(JSON.stringify(blank))); self.ctx.onChange(); self.render(); });
    fs.appendChild(add);
  };

  ItemForm.prototype.render = function () {
    var cfg = this.ctx.config, L = this.L.bind(this);
    this.form.innerHTML = "";
    var basic = this.section(L("item_basic", "基本信息"));
    this.field(basic, "code", L("code", "事项编码"));
    this.field(basic, "slug", L("slug", "标识"));
    this.field(basic, "process_id", L("process_id", "流程 ID"));
    this.field(basic, "name.zh", L("name_zh", "名称（中文）"));
    this.field(basic, "name.en", L("name_en", "名称（英文）"));
    this.field(basic, "department", L("department", "部门"), "select", cfg.departments);
    this.field(basic, "kind", L("kind", "办件类型"), "select", [{ code: "promised", label: L("promised", "承诺件") }, { code: "immediate", label: L("immediate", "即办件") }]);
    this.field(basic, "legal_basis", L("legal_basis", "法律依据（每行一条）"), "lines");
    var limits = this.section(L("limits", "时限（工作日）"));
    this.field(limits, "limits.statutory_wd", L("statutory_wd", "法定时限"), "int");
    this.field(limits, "limits.statutory_basis", L("statutory_basis", "法定时限依据"), "textarea");
    this.field(limits, "limits.promised_wd", L("promised_wd", "承诺时限"), "int");
    this.field(limits, "limits.promised_basis", L("promised_basis", "承诺时限依据"), "textarea");
    this.field(limits, "limits.acceptance_wd", L("acceptance_wd", "受理时限"), "int");
    this.field(limits, "limits.delivery_wd", L("delivery_wd", "送达时限"), "int");
    this.field(limits, "limits.extension_max_wd", L("extension_max_wd", "最长延期"), "int");
    this.field(limits, "limits.applicant_correction_wd", L("applicant_correction_wd", "申请人补正期限（空为不限）"), "intnull");
    this.field(limits, "lights.yellow_remaining_wd", L("yellow_remaining_wd", "剩余多少工作日亮黄灯"), "int");
    this.field(limits, "lights.yellow_consumed_pct", L("yellow_consumed_pct", "用时达到多少%亮黄灯"), "int");
    var guide = this.section(L("guide", "办事指南"));
    this.field(guide, "fees.zh", L("fees_zh", "收费（中文）"));
    this.field(guide, "fees.en", L("fees_en", "收费（英文）"));
    this.field(guide, "result.type", L("result_type", "结果类型"));
    this.field(guide, "result.name.zh", L("result_zh", "结果名称（中文）"));
    this.field(guide, "result.name.en", L("result_en", "结果名称（英文）"));
    this.rows(L("materials", "申请材料"), "materials", [
      { path: "code", label: L("material_code", "编码") },
      { path: "name.zh", label: L("name_zh", "名称（中文）") },
      { path: "name.en", label: L("name_en", "名称（英文）") },
      { path: "required", label: L("required", "必交"), kind: "bool" },
      { path: "formats", label: L("formats", "格式（逗号分隔）"), kind: "csv" },
    ], { code: "", name: { zh: "", en: "" }, required: true, formats: ["pdf"] });
    this.rows(L("special_procedures", "特殊程序"), "special_procedures", [
      { path: "code", label: L("procedure", "程序"), kind: "select", options: cfg.procedures },
      { path: "name.zh", label: L("name_zh", "名称（中文）") },
      { path: "name.en", label: L("name_en", "名称（英文）") },
      { path: "limit_wd", label: L("limit_wd", "时限"), kind: "int" },
      { path: "basis", label: L("basis", "依据"), kind: "textarea" },
    ], { code: "expert_review", name: { zh: "", en: "" }, limit_wd: 10, basis: "" });
    if (this.lastFindings) this.showFindings(this.lastFindings);
  };

  ItemForm.prototype.showFindings = function (findings) {
    this.lastFindings = findings;
    var form = this.form;
    form.querySelectorAll(".field").forEach(function (f) {
      f.classList.remove("has-error");
      var p = f.querySelector(".field-error"); p.hidden = true; p.textContent = "";
    });
    findings.filter(function (f) { return f.file === "item.yaml" && f.element_id; }).forEach(function (f) {
      var box = form.querySelector('.field[data-field="' + f.element_id + '"]') ||
        form.querySelector('.field[data-field^="' + f.element_id + '."]');
      if (!box) return;
      box.classList.add("has-error");
      var p = box.querySelector(".field-error");
      p.hidden = false;
      p.textContent = (p.textContent ? p.textContent + "；" : "") + f.message;
    });
  };

  window.TongbanItemForm = ItemForm;
})();
