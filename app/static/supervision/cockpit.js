// Cockpit trends with ECharts (from npm, copied to /static/vendor); the tables stay as the fallback.
(function () {
  "use strict";
  if (!window.echarts) return;
  document.querySelectorAll(".chart[data-series]").forEach(function (box) {
    var rows = JSON.parse(box.getAttribute("data-series"));
    var chart = window.echarts.init(box);
    chart.setOption({
      title: { text: box.getAttribute("data-title"), left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, data: ["提交", "办结", "按期办结"] },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "提交", type: "bar", data: rows.map(function (r) { return r.submitted; }) },
        { name: "办结", type: "bar", data: rows.map(function (r) { return r.completed; }) },
        { name: "按期办结", type: "line", data: rows.map(function (r) { return r.on_time; }) }
      ]
    });
    box.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
