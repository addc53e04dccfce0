// Cockpit trends with ECharts (from npm, copied to /static/vendor); the tables stay as the fallback.
(function () {
  "use strict";
  if (!window.echarts) return;
  document.querySelectorAll(".chart[data-series]").forEach(function (box) {
    var rows = JSON.parse(box.getAttribute("data-series"));
    // legend words come from the page, in its language
    var words = JSON.parse(box.getAttribute("data-legend") || "{}");
    var submitted = words.submitted || "submitted", completed = words.completed || "completed";
    var onTime = words.on_time || "on time";
    var chart = window.echarts.init(box);
    chart.setOption({
      title: { text: box.getAttribute("data-title"), left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, data: [submitted, completed, onTime] },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: submitted, type: "bar", data: rows.map(function (r) { return r.submitted; }) },
        { name: completed, type: "bar", data: rows.map(function (r) { return r.completed; }) },
        { name: onTime, type: "line", data: rows.map(function (r) { return r.on_time; }) }
      ]
    });
    box.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
