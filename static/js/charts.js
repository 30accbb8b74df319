/* Draw every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
   The same numbers are always in the table beside the chart, so nothing depends on this script. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  Chart.defaults.font.family = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';
  Chart.defaults.font.size = 14;
  Chart.defaults.animation = false;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d) {
          return { label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { ticks: { precision: 0 } }, y: { ticks: { precision: 0 } } },
        plugins: { legend: { display: spec.datasets.length > 1 } }
      }
    });
  });
})();
