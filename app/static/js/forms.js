// Progressive enhancement of task forms: show the fields a choice needs, disable the others so
// they are not posted; move focus to the error summary after a failed submit.
(function () {
  "use strict";
  var form = document.querySelector("form.task-form");
  if (!form) return;
  function currentValue(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.type === "checkbox" && checked.value === "on" ? "true" : checked.value;
    var box = form.querySelector('input[type="checkbox"][name="' + name + '"]');
    if (box) return "false";
    var el = form.elements[name];
    return el && el.value !== undefined ? el.value : "";
  }
  function update() {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      var rule = block.getAttribute("data-show-when").split("=");
      var show = rule[1].split("|").indexOf(currentValue(rule[0])) !== -1;
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = !show; });
    });
    form.querySelectorAll(".checklist-row").forEach(function (row) {
      var tick = row.querySelector("[data-row-toggle]");
      if (!tick || tick.disabled) return;
      row.classList.toggle("checked", tick.checked);
      row.querySelectorAll(".field.sub textarea, .field.sub input, .field.sub select").forEach(function (el) { el.disabled = !tick.checked; });
    });
  }
  form.addEventListener("change", update);
  update();
  var summary = document.getElementById("form-message");
  if (summary) summary.focus();
})();
