// Charts through Apache ECharts, vendored under vendor/ and served by the stack (nothing from a CDN).
// The library is a classic script of about 1 MB, so it is loaded once, on the first view that draws a
// chart, not with every console page. Tooltips use ECharts' rich-text mode: its HTML tooltips write
// inline style attributes, which the console's policy (style-src 'self') refuses.

const LIBRARY = "/console/vendor/echarts.min.js";
let loading = null;

export function loadCharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = LIBRARY;
      script.async = true;
      script.addEventListener("load", () => resolve(window.echarts));
      script.addEventListener("error", () => {
        loading = null;
        script.remove();
        reject(new Error("the chart library did not load"));
      });
      document.head.append(script);
    });
  }
  return loading;
}

const shown = new Set(); // charts on the page, resized with the window and disposed with their view

// One chart in `element` (a sized block), drawn on a canvas; `onPick(params)` runs on a click on data.
export function drawChart(echarts, element, option, onPick) {
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: "system-ui, sans-serif" },
    ...option,
    tooltip: { confine: true, ...option.tooltip, renderMode: "richText" },
  });
  if (onPick) {
    chart.on("click", (params) => onPick(params));
    element.classList.add("pickable");
  }
  shown.add(chart);
  return chart;
}

// Dispose of the charts a view drew (before it draws again or another view takes the page).
export function disposeCharts() {
  for (const chart of shown) chart.dispose();
  shown.clear();
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const chart of shown) if (!chart.isDisposed()) chart.resize();
  }, 100);
});
