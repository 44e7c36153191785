// AttentionHeatmap: rows are queries, columns are keys. Python sends tokens and weights
// ((T, T), or (H, T, T) for several heads); this draws them and reports the clicked query row
// (selected_query) and, with several heads, the head to enlarge (selected_head).
// Helpers prefixed `cw` come from _common.js.

const HM_LABEL_CHARS = 12; // longer tokens are cut with "…" (the tooltip shows them whole)
const HM_CHAR_W = 7.4; // width of one 12px monospace character
const HM_THUMB = 104; // side of a head's small map, in pixels

// Cells share about 576 px (a 16-token map then fits a 768 px high laptop screen).
function hmCellSize(t) {
  return Math.max(14, Math.min(46, Math.floor(576 / t)));
}

// Build one large map (labels, cells, legend) into a fresh <svg>; returns handles to repaint it.
function hmBuildMap(tokens, showValues, decimals) {
  const t = tokens.length;
  const cell = hmCellSize(t);
  const longest = Math.min(HM_LABEL_CHARS, Math.max(...tokens.map((s) => cwVisible(s).length)));
  const labelW = Math.ceil(longest * HM_CHAR_W) + 14;
  const titleW = 18;
  const left = titleW + labelW;
  const top = Math.ceil(longest * HM_CHAR_W * 0.71) + 30;
  const size = cell * t;
  const legendX = left + size + 18;
  const width = legendX + 64;
  const height = top + size + 8;
  const svg = cwSvg("svg", {
    class: "cw-hm-map",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    tabindex: 0,
    role: "grid",
    "aria-label": "attention weights: rows are queries, columns are keys",
  });
  svg.append(
    cwSvg("text", {
      class: "cw-hm-axis",
      x: left + size / 2,
      y: 12,
      "text-anchor": "middle",
      text: "keys (attended to) →",
    }),
    cwSvg("text", {
      class: "cw-hm-axis",
      x: 12,
      y: top + size / 2,
      "text-anchor": "middle",
      transform: `rotate(-90 12 ${top + size / 2})`,
      text: "← queries (looking)",
    }),
  );
  const rowLabels = [];
  const colLabels = [];
  for (let i = 0; i < t; i += 1) {
    const row = cwSvg("text", {
      class: "cw-hm-label cw-hm-row",
      x: left - 6,
      y: top + i * cell + cell / 2,
      "text-anchor": "end",
      "dominant-baseline": "central",
      "data-i": i,
    });
    rowLabels.push(cwPutToken(row, tokens[i], HM_LABEL_CHARS));
    const cx = left + i * cell + cell / 2;
    const col = cwSvg("text", {
      class: "cw-hm-label",
      x: cx,
      y: top - 6,
      transform: `rotate(-45 ${cx} ${top - 6})`,
      "data-j": i,
    });
    colLabels.push(cwPutToken(col, tokens[i], HM_LABEL_CHARS));
  }
  svg.append(...rowLabels, ...colLabels);
  const cells = [];
  const values = [];
  const grid = cwSvg("g", { class: "cw-hm-cells" });
  // "0.12" is decimals + 2 characters of about 0.6 em each; keep 3 px of margin either side
  const fontSize = Math.min(12, Math.floor((cell - 6) / ((decimals + 2) * 0.6)));
  const printValues = showValues && fontSize >= 9;
  for (let i = 0; i < t; i += 1) {
    const rowCells = [];
    const rowValues = [];
    for (let j = 0; j < t; j += 1) {
      const rect = cwSvg("rect", {
        class: "cw-hm-cell",
        x: left + j * cell,
        y: top + i * cell,
        width: cell,
        height: cell,
        "data-i": i,
        "data-j": j,
      });
      grid.append(rect);
      rowCells.push(rect);
      if (printValues) {
        const text = cwSvg("text", {
          class: "cw-hm-val",
          x: left + j * cell + cell / 2,
          y: top + i * cell + cell / 2,
          "text-anchor": "middle",
          "dominant-baseline": "central",
          style: `font-size: ${fontSize}px`,
          "data-i": i,
          "data-j": j,
        });
        grid.append(text);
        rowValues.push(text);
      }
    }
    cells.push(rowCells);
    values.push(rowValues);
  }
  svg.append(grid);
  const hover = cwSvg("rect", { class: "cw-hm-hover", x: left, width: size, height: cell });
  const selection = cwSvg("rect", { class: "cw-hm-selected", x: left, width: size, height: cell });
  svg.append(hover, selection);
  // colour legend: 0 at the bottom, 1 at the top
  const stops = cwSvg("linearGradient", { x1: 0, y1: 1, x2: 0, y2: 0 });
  const legend = cwSvg("g", { class: "cw-hm-legend" });
  const bar = cwSvg("rect", { x: legendX, y: top, width: 12, height: size });
  legend.append(bar);
  for (const v of [0, 0.5, 1]) {
    const y = top + size - v * size;
    legend.append(
      cwSvg("line", { x1: legendX + 12, x2: legendX + 16, y1: y, y2: y }),
      cwSvg("text", { x: legendX + 19, y, "dominant-baseline": "central", text: cwFmt(v, 1) }),
    );
  }
  legend.append(
    cwSvg("text", {
      class: "cw-hm-axis",
      x: legendX + 6,
      y: top - 10,
      "text-anchor": "middle",
      text: "weight",
    }),
  );
  const defs = cwSvg("defs", {}, stops);
  svg.prepend(defs);
  svg.append(legend);
  return { svg, cells, values, rowLabels, hover, selection, stops, bar, top, cell, t };
}

// Give the legend gradient an id unique to this widget instance (no hard-coded DOM ids).
let hmGradientCount = 0;

function hmPaintMap(map, matrix, dark, decimals) {
  for (let i = 0; i < map.t; i += 1) {
    for (let j = 0; j < map.t; j += 1) {
      const w = matrix[i][j];
      map.cells[i][j].setAttribute("fill", cwRamp(w, dark));
      const text = map.values[i][j];
      if (text) {
        text.textContent = cwFmt(w, decimals);
        // style, not the attribute: the stylesheet's `fill` would win over an attribute
        text.style.fill = cwInk(w, dark);
        text.style.opacity = w === 0 ? 0.4 : 1;
      }
    }
  }
  if (!map.stops.id) {
    hmGradientCount += 1;
    map.stops.id = `cw-hm-gradient-${hmGradientCount}-${Math.random().toString(36).slice(2, 8)}`;
    map.bar.setAttribute("fill", `url(#${map.stops.id})`);
  }
  map.stops.textContent = "";
  for (let k = 0; k <= 4; k += 1) {
    map.stops.append(cwSvg("stop", { offset: k / 4, "stop-color": cwRamp(k / 4, dark) }));
  }
}

function hmMoveBand(band, map, i) {
  if (i === null || i === undefined || i >= map.t) {
    band.style.display = "none";
    return;
  }
  band.style.display = "inline";
  band.setAttribute("y", map.top + i * map.cell);
}

function hmBuildThumb(matrix, h, dark) {
  const t = matrix.length;
  const cell = HM_THUMB / t;
  const svg = cwSvg("svg", {
    width: HM_THUMB,
    height: HM_THUMB,
    viewBox: `0 0 ${HM_THUMB} ${HM_THUMB}`,
  });
  for (let i = 0; i < t; i += 1) {
    for (let j = 0; j < t; j += 1) {
      svg.append(
        cwSvg("rect", {
          x: j * cell,
          y: i * cell,
          width: cell + 0.5,
          height: cell + 0.5,
          fill: cwRamp(matrix[i][j], dark),
        }),
      );
    }
  }
  return cwEl(
    "button",
    { class: "cw-hm-thumb", "data-head": h, title: `enlarge head ${h}`, type: "button" },
    cwEl("div", { class: "cw-hm-thumb-title", text: `head ${h}` }),
    svg,
  );
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-heatmap" });
  const thumbs = cwEl("div", { class: "cw-hm-thumbs" });
  const mainTitle = cwEl("div", { class: "cw-hm-title" });
  const main = cwEl("div", { class: "cw-hm-main" });
  const caption = cwEl("div", { class: "cw-caption" });
  const tip = cwEl("div", { class: "cw-tip", role: "tooltip" });
  root.append(cwEl("div", { class: "cw-hm-layout" }, thumbs, cwEl("div", {}, mainTitle, main, caption)), tip);
  el.append(root);

  let map = null;
  let mapKey = "";
  let dark = false;

  const heads = () => {
    const w = model.get("weights");
    return Array.isArray(w[0][0]) ? w : [w];
  };
  const headIndex = () => Math.min(model.get("selected_head") ?? 0, heads().length - 1);
  const current = () => heads()[headIndex()];

  const describeSelection = () => {
    const q = model.get("selected_query");
    const tokens = model.get("tokens");
    caption.textContent = "";
    if (q === null || q === undefined || q >= tokens.length) {
      caption.append("Each row is a query and sums to 1. Click a row to select that query.");
      return;
    }
    caption.append(`Selected query ${q}: “`);
    caption.append(cwPutToken(cwEl("span", { class: "cw-mono" }), tokens[q]));
    caption.append("” (click another row to change it).");
  };

  const draw = () => {
    const tokens = model.get("tokens");
    const decimals = model.get("decimals");
    const all = heads();
    const key = [tokens.length, model.get("show_values"), decimals, ...tokens].join("\u0000");
    if (key !== mapKey) {
      map = hmBuildMap(tokens, model.get("show_values"), decimals);
      main.replaceChildren(map.svg);
      mapKey = key;
    }
    hmPaintMap(map, current(), dark, decimals);
    hmMoveBand(map.selection, map, model.get("selected_query"));
    root.dataset.selectedQuery = model.get("selected_query") ?? "";
    // thumbnails only with several heads
    if (all.length > 1) {
      thumbs.replaceChildren(...all.map((m, h) => hmBuildThumb(m, h, dark)));
      thumbs.children[headIndex()].classList.add("cw-hm-thumb-on");
      thumbs.style.display = "";
      mainTitle.textContent = `head ${headIndex()} of ${all.length}`;
    } else {
      thumbs.replaceChildren();
      thumbs.style.display = "none";
      mainTitle.textContent = "";
    }
    describeSelection();
  };

  const fillTip = (event) => {
    const target = event.target;
    const i = Number(target.dataset ? target.dataset.i : NaN);
    const j = Number(target.dataset ? target.dataset.j : NaN);
    if (!map) return false;
    if (!Number.isInteger(i)) {
      hmMoveBand(map.hover, map, null);
      return false;
    }
    hmMoveBand(map.hover, map, i);
    const tokens = model.get("tokens");
    tip.textContent = "";
    tip.append(`query ${i} “`, cwPutToken(cwEl("span", { class: "cw-mono" }), tokens[i]), "”");
    if (Number.isInteger(j)) {
      const w = current()[i][j];
      tip.append(
        ` → key ${j} “`,
        cwPutToken(cwEl("span", { class: "cw-mono" }), tokens[j]),
        "”: ",
        cwEl("b", { text: cwFmt(w, Math.max(3, model.get("decimals"))) }),
      );
    }
    return true;
  };
  const hideBand = () => {
    if (map) hmMoveBand(map.hover, map, null);
  };
  const select = (i) => {
    cwReport(model, "selected_query", i);
    hmMoveBand(map.selection, map, i);
    root.dataset.selectedQuery = i;
    describeSelection();
  };
  const onClick = (event) => {
    const i = Number(event.target.dataset ? event.target.dataset.i : NaN);
    if (Number.isInteger(i)) select(i);
  };
  const onKey = (event) => {
    const t = model.get("tokens").length;
    const q = model.get("selected_query");
    let next = null;
    if (event.key === "ArrowDown") next = q === null ? 0 : Math.min(t - 1, q + 1);
    if (event.key === "ArrowUp") next = q === null ? t - 1 : Math.max(0, q - 1);
    if (next === null) return;
    event.preventDefault();
    select(next);
  };
  const onThumb = (event) => {
    const button = cwClosest(event, ".cw-hm-thumb");
    if (!button) return;
    cwReport(model, "selected_head", Number(button.dataset.head));
    draw();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  cwTooltip(bag, main, tip, root, fillTip, hideBand);
  bag.on(main, "click", onClick);
  bag.on(main, "keydown", onKey);
  bag.on(thumbs, "click", onThumb);
  bag.watch(model, ["weights", "tokens", "selected_query", "selected_head", "decimals", "show_values"], draw);
  bag.add(
    cwFollowTheme(root, (isDark) => {
      dark = isDark;
      if (map) draw();
    }),
  );
  draw();
  return bag.dispose;
}

export default { render };
