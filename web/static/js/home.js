// Home page charts: each [data-chart] holds {type: "bar"|"pie", labels, values} (JSON) and becomes
// an ECharts chart (vendored: /static/vendor/echarts). The table beside it stays for screen readers.
(function () {
  if (!window.echarts) return;
  const palette = ["#1677ff", "#fa8c16", "#52c41a", "#ff4d4f", "#722ed1", "#13c2c2", "#eb2f96", "#8c8c8c"];
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const data = JSON.parse(element.getAttribute("data-chart"));
    const chart = echarts.init(element, null, { renderer: "canvas" });
    const option =
      data.type === "pie"
        ? {
            color: palette,
            tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
            legend: { bottom: 0, type: "scroll" },
            series: [
              {
                type: "pie",
                radius: ["40%", "68%"],
                center: ["50%", "44%"],
                label: { formatter: "{b}\n{c}" },
                data: data.labels.map((name, i) => ({ name: name, value: data.values[i] })),
              },
            ],
          }
        : {
            color: palette,
            tooltip: { trigger: "axis" },
            grid: { left: 36, right: 12, top: 16, bottom: 28 },
            xAxis: { type: "category", data: data.labels, axisTick: { alignWithLabel: true } },
            yAxis: { type: "value", minInterval: 1 },
            series: [{ type: "bar", data: data.values, barMaxWidth: 28 }],
          };
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
