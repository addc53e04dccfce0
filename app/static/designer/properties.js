// Properties panel of the modeler: the platform's own user-task and call-activity properties
// (docs/CASE-EVENTS.md), lane ↔ role, form key, conditions. Edits go through bpmn-js commands, so
// undo/redo and the saved XML see them like any other change.
(function () {
  "use strict";
  var SPIFF = "spiffworkflow:Properties";

  function make(tag, attrs, textValue) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (textValue != null) el.textContent = textValue;
    return el;
  }

  function Panel(modeler, box, ctx) {
    this.modeler = modeler;
    this.box = box;
    this.ctx = ctx; // {config, labels, forms(), createForm(taskId), onChange()}
    this.element = null;
    var self = this;
    var bus = modeler.get("eventBus");
    bus.on("selection.changed", function (e) { self.show(e.newSelection[0] || null); });
    bus.on("elements.changed", function (e) {
      if (self.element && e.elements.some(function (el) { return el.id === self.element.id || el === self.element; })) {
        if (!self.box.contains(document.activeElement)) self.show(self.element);
      }
    });
    this.show(null);
  }

  Panel.prototype.L = function (key, fallback) { return (this.ctx.labels || {})[key] || fallback || key; };

  Panel.prototype.props = function (bo) {
    var ext = bo.extensionElements, out = {};
    var holder = ext && (ext.values || []).filter(function (v) { return v.$type === SPIFF; })[0];
    (holder ? holder.get("properties") : []).forEach(function (p) { out[p.name] = p.value; });
    return out;
  };

  Panel.prototype.setProp = function (element, name, value) {
    var modeling = this.modeler.get("modeling"), moddle = this.modeler.get("moddle");
    var bo = element.businessObject;
    var ext = bo.extensionElements;
    value = value == null ? "" : String(value).trim();
    if (!ext) {
      if (value === "") return;
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: ext });
    }
    var holder = (ext.get("values") || []).filter(function (v) { return v.$type === SPIFF; })[0];
    if (!holder) {
      if (value === "") return;
      holder = moddle.create(SPIFF, { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([holder]) });
    }
    var list = holder.get("properties");
    var prop = list.filter(function (p) { return p.name === name; })[0];
    if (value === "") {
      if (prop) modeling.updateModdleProperties(element, holder, { properties: list.filter(function (p) { return p !== prop; }) });
    } else if (prop) {
      modeling.updateModdleProperties(element, prop, { value: value });
    } else {
      prop = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, holder, { properties: list.concat([prop]) });
    }
    if (this.ctx.onChange) this.ctx.onChange();
  };

  Panel.prototype.laneOf = function (element) {
    var bo = element.businessObject;
    var lanes = this.modeler.get("elementRegistry").filter(function (e) { return e.type === "bpmn:Lane"; });
    for (var i = 0; i < lanes.length; i++) {
      if ((lanes[i].businessObject.get("flowNodeRef") || []).indexOf(bo) >= 0) return lanes[i];
    }
    return null;
  };

  Panel.prototype.row = function (label, control, help) {
    var wrap = make("div", { class: "prop-row" });
    var id = "prop-" + control.getAttribute("name");
    control.id = id;
    wrap.appendChild(make("label", { for: id }, label));
    wrap.appendChild(control);
    if (help) wrap.appendChild(make("p", { class: "help" }, help));
    this.box.appendChild(wrap);
    return control;
  };

  Panel.prototype.input = function (name, value, label, onChange, attrs, help) {
    var el = make("input", Object.assign({ name: name, type: "text" }, attrs || {}));
    el.value = value == null ? "" : value;
    el.addEventListener("change", function () { onChange(el.value); });
    return this.row(label, el, help);
  };

  Panel.prototype.select = function (name, value, label, options, onChange, help) {
    var el = make("select", { name: name });
    el.appendChild(make("option", { value: "" }, "—"));
    options.forEach(function (o) {
      var opt = make("option", { value: o.code }, o.label + (o.label !== o.code ? " (" + o.code + ")" : ""));
      if (o.code === value) opt.selected = true;
      el.appendChild(opt);
    });
    el.addEventListener("change", function () { onChange(el.value); });
    return this.row(label, el, help);
  };

  Panel.prototype.heading = function (textValue, sub) {
    var h = make("h3", {}, textValue);
    if (sub) h.appendChild(make("small", { class: "meta" }, " " + sub));
    this.box.appendChild(h);
  };

  Panel.prototype.show = function (element) {
    this.element = element;
    this.box.innerHTML = "";
    if (!element || element.type === "label") {
      this.box.appendChild(make("p", { class: "meta" }, this.box.getAttribute("data-empty")));
      return;
    }
    var bo = element.businessObject, self = this, modeling = this.modeler.get("modeling");
    this.box.setAttribute("data-element", element.id);
    this.heading(bo.name || element.id, element.type.replace("bpmn:", ""));
    this.input("id", element.id, this.L("id", "ID"), function (v) {
      if (!/^[a-z][a-z0-9_]*$/.test(v)) { self.ctx.status(self.L("bad_id")); self.show(element); return; }
      modeling.updateProperties(element, { id: v });
      self.ctx.onChange();
    });
    if (element.type !== "bpmn:SequenceFlow" || bo.name) {
      this.input("name", bo.name || "", this.L("name", "名称"), function (v) { modeling.updateLabel(element, v); self.ctx.onChange(); });
    }
    if (element.type === "bpmn:Lane") return this.laneFields(element);
    if (element.type === "bpmn:UserTask") return this.userTaskFields(element);
    if (element.type === "bpmn:CallActivity") return this.callActivityFields(element);
    if (element.type === "bpmn:SequenceFlow") return this.flowFields(element);
  };

  Panel.prototype.laneFields = function (element) {
    var self = this;
    this.select("lane_role", element.businessObject.name, this.L("lane_role", "角色"), this.ctx.config.roles, function (v) {
      self.modeler.get("modeling").updateLabel(element, v);
      self.ctx.onChange();
    }, this.L("lane_help"));
  };

  Panel.prototype.userTaskFields = function (element) {
    var self = this, bo = element.businessObject, props = this.props(bo);
    var lane = this.laneOf(element);
    var roleName = lane && lane.businessObject.name;
    var role = this.ctx.config.roles.filter(function (r) { return r.code === roleName; })[0];
    var laneText = lane ? (role ? role.label + " (" + role.code + ")" : (roleName || lane.id)) : this.L("no_lane", "（不在泳道中）");
    this.box.appendChild(make("p", { class: "prop-info", "data-prop": "lane" }, this.L("role", "办理角色") + ": " + laneText));
    var formName = element.id + ".json";
    var has = Object.prototype.hasOwnProperty.call(this.ctx.forms(), formName);
    var formInfo = make("p", { class: "prop-info", "data-prop": "form" }, this.L("form", "表单") + ": " + formName + " — " + (has ? this.L("form_ok", "已有") : this.L("form_missing", "缺少")));
    if (!has) {
      var create = make("button", { type: "button", name: "create_form" }, this.L("create_form", "新建表单"));
      create.addEventListener("click", function () { self.ctx.createForm(element.id, bo.name); self.show(element); });
      formInfo.appendChild(document.createTextNode(" "));
      formInfo.appendChild(create);
    }
    this.box.appendChild(formInfo);
    var set = function (key) { return function (v) { self.setProp(element, key, v); }; };
    this.input("time_limit_wd", props.time_limit_wd, this.L("time_limit_wd", "环节时限（工作日）"), set("time_limit_wd"), { inputmode: "numeric" });
    this.input("yellow_remaining_wd", props.yellow_remaining_wd, this.L("yellow_remaining_wd", "剩余多少工作日亮黄灯"), set("yellow_remaining_wd"), { inputmode: "numeric" });
    this.input("yellow_consumed_pct", props.yellow_consumed_pct, this.L("yellow_consumed_pct", "用时达到多少%亮黄灯"), set("yellow_consumed_pct"), { inputmode: "numeric" });
    this.meaningBoxes(element, props);
    this.outcomeFields(element, props);
  };

  Panel.prototype.meaningBoxes = function (element, props) {
    var self = this;
    var chosen = (props.event || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    var wrap = make("fieldset", { class: "prop-row prop-event" });
    wrap.appendChild(make("legend", {}, this.L("event", "完成时的含义")));
    this.ctx.config.meanings.forEach(function (m) {
      if (m.code === "none") return;
      var label = make("label", { class: "choice" });
      var box = make("input", { type: "checkbox", name: "event", value: m.code });
      box.checked = chosen.indexOf(m.code) >= 0;
      box.addEventListener("change", function () {
        var values = Array.prototype.slice.call(wrap.querySelectorAll("input:checked")).map(function (b) { return b.value; });
        self.setProp(element, "event", values.join(","));
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + m.label));
      wrap.appendChild(label);
    });
    this.box.appendChild(wrap);
  };

  Panel.prototype.outcomeFields = function (element, props) {
    var self = this;
    var form = this.ctx.forms()[element.id + ".json"];
    var schemaProps = (form && form.schema && form.schema.properties) || {};
    var candidates = Object.keys(schemaProps).filter(function (k) {
      var p = schemaProps[k] || {};
      return Array.isArray(p.enum) || p.type === "boolean";
    }).map(function (k) { return { code: k, label: schemaProps[k].title || k }; });
    var field = props.outcome_field || "";
    if (field && !candidates.some(function (c) { return c.code === field; })) candidates.push({ code: field, label: field });
    this.select("outcome_field", field, this.L("outcome_field", "结果字段"), candidates, function (v) {
      self.setProp(element, "outcome_field", v);
      self.show(element);
    }, this.L("outcome_help"));
    if (!field) return;
    var p = schemaProps[field] || {};
    var values = Array.isArray(p.enum) ? p.enum.map(String) : ["true", "false"];
    Object.keys(props).forEach(function (k) {
      if (k.indexOf("outcome.") === 0 && values.indexOf(k.slice(8)) < 0) values.push(k.slice(8));
    });
    values.forEach(function (v) {
      self.select("outcome." + v, props["outcome." + v], self.L("outcome_value", "取值") + " " + v, self.ctx.config.meanings, function (m) {
        self.setProp(element, "outcome." + v, m);
      });
    });
  };

  Panel.prototype.callActivityFields = function (element) {
    var self = this, props = this.props(element.businessObject);
    var set = function (key) { return function (v) { self.setProp(element, key, v); }; };
    this.select("special_procedure", props.special_procedure, this.L("special_procedure", "特殊程序"), this.ctx.config.procedures, set("special_procedure"), this.L("special_help"));
    this.input("time_limit_wd", props.time_limit_wd, this.L("procedure_limit", "程序时限（工作日）"), set("time_limit_wd"), { inputmode: "numeric" });
    this.input("notice_field", props.notice_field, this.L("notice_field", "书面告知时长字段"), set("notice_field"), { placeholder: "expected_duration_wd" });
  };

  Panel.prototype.flowFields = function (element) {
    var self = this, bo = element.businessObject;
    var current = bo.conditionExpression ? bo.conditionExpression.body : "";
    var el = make("textarea", { name: "condition", rows: "2" });
    el.value = current || "";
    el.addEventListener("change", function () {
      var moddle = self.modeler.get("moddle"), modeling = self.modeler.get("modeling");
      var body = el.value.trim();
      modeling.updateProperties(element, {
        conditionExpression: body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined,
      });
      self.ctx.onChange();
    });
    this.row(this.L("condition", "条件（Python 表达式）"), el, this.L("condition_help"));
  };

  window.TongbanProperties = Panel;
})();
