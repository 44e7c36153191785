// AttentionHeatmap: rows are queries, columns are keys. Python sends a window of the text
// (`view`: its first position, the text's length, the window's tokens and the weights among
// them, (w, w) or (H, w, w) for several heads); this draws it and reports the clicked query row
// (selected_query, a position in the whole text), the head to enlarge (selected_head) and,
// when the text is longer than the window, where the window starts (window_start).
// Helpers prefixed `cw` come from _common.js.

const HM_LABEL_CHARS = 12; // longer tokens are cut with "…" (the tooltip shows them whole)
const HM_CHAR_W = 7.4; // width of one 12px monospace character
const HM_THUMB = 104; // side of a head's small map, in pixels

// Cells share about 576 px (a 16-token map then fits a 768 px high laptop screen).
function hmCellSize(t) {
  return Math.max(14, Math.min(46, Math.floor(576 / t)));
}

// Build one large map (labels, cells, legend) into a fresh <svg>; returns handles to repaint it.
// `start` is the position of tokens[0] in the whole text: data-i/data-j hold whole-text positions.
function hmBuildMap(tokens, showValues, decimals, start) {
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
      "data-i": start + i,
    });
    rowLabels.push(cwPutToken(row, tokens[i], HM_LABEL_CHARS));
    const cx = left + i * cell + cell / 2;
    const col = cwSvg("text", {
      class: "cw-hm-label",
      x: cx,
      y: top - 6,
      transform: `rotate(-45 ${cx} ${top - 6})`,
      "data-j": start + i,
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
        "data-i": start + i,
        "data-j": start + j,
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
          "data-i": start + i,
          "data-j": start + j,
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
  return { svg, cells, values, rowLabels, hover, selection, stops, bar, top, cell, t, start };
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

// Put a row's band on query `q` (a whole-text position), or hide it when q is not in the map.
function hmMoveBand(band, map, q) {
  const i = q === null || q === undefined ? -1 : q - map.start;
  if (i < 0 || i >= map.t) {
    band.style.display = "none";
    return;
  }
  band.style.display = "inline";
  band.setAttribute("y", map.top + i * map.cell);
}

// The window control: ◀ ▶ move by a whole window, the slider to any start; shown only when
// the text is longer than the window. Reports window_start; Python answers with a new view.
function hmWindowControl(bag, model) {
  const button = (text, label) => cwEl("button", { type: "button", text, title: label, "aria-label": label });
  const prev = button("◀", "show the previous tokens");
  const next = button("▶", "show the next tokens");
  const slider = cwEl("input", { type: "range", min: 0, step: 1, class: "cw-hm-slider", "aria-label": "first token shown" });
  const label = cwEl("span", { class: "cw-hm-range" });
  const box = cwEl("div", { class: "cw-hm-window" }, prev, slider, next, label);
  let size = 1;
  let total = 1;
  const say = (start) => {
    label.textContent = `tokens ${start}–${start + size - 1} of ${total.toLocaleString("en")}`;
  };
  const go = (start) => {
    const clamped = Math.max(0, Math.min(total - size, start));
    slider.value = clamped;
    say(clamped);
    if (clamped !== model.get("window_start")) cwReport(model, "window_start", clamped);
  };
  bag.on(prev, "click", () => go(model.get("window_start") - size));
  bag.on(next, "click", () => go(model.get("window_start") + size));
  bag.on(slider, "input", () => say(Number(slider.value))); // the label follows the thumb
  bag.on(slider, "change", () => go(Number(slider.value))); // the data follows on release
  const update = (view) => {
    size = view.tokens.length;
    total = view.total;
    box.style.display = total > size ? "" : "none";
    slider.max = total - size;
    slider.value = view.start;
    prev.disabled = view.start === 0;
    next.disabled = view.start >= total - size;
    say(view.start);
  };
  return { box, update };
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
  const bag = cwDisposer();
  const windowControl = hmWindowControl(bag, model);
  root.append(
    cwEl("div", { class: "cw-hm-layout" }, thumbs, cwEl("div", {}, mainTitle, windowControl.box, main, caption)),
    tip,
  );
  el.append(root);

  let map = null;
  let mapKey = "";
  let dark = false;

  const view = () => model.get("view");
  const heads = () => {
    const w = view().weights;
    return Array.isArray(w[0][0]) ? w : [w];
  };
  const headIndex = () => Math.min(model.get("selected_head") ?? 0, heads().length - 1);
  const current = () => heads()[headIndex()];
  // the token at whole-text position q, or undefined outside the window
  const tokenAt = (q) => view().tokens[q - view().start];

  const describeSelection = () => {
    const q = model.get("selected_query");
    const { start, tokens, total } = view();
    caption.textContent = "";
    const partial = start > 0 ? ` This window leaves out the ${start} keys before it, so a row may sum to less than 1.` : "";
    if (q === null || q === undefined || q >= total) {
      const rows = start > 0 ? `Each row is a query.${partial}` : "Each row is a query and sums to 1.";
      caption.append(`${rows} Click a row to select that query.`);
      return;
    }
    if (q < start || q >= start + tokens.length) {
      caption.append(`Selected query ${q} lies outside this window (click a row to select another).`);
      return;
    }
    caption.append(`Selected query ${q}: “`);
    caption.append(cwPutToken(cwEl("span", { class: "cw-mono" }), tokenAt(q)));
    caption.append(`” (click another row to change it).${partial}`);
  };

  const draw = () => {
    const { start, tokens } = view();
    if (!tokens) return;
    const decimals = model.get("decimals");
    const all = heads();
    const key = [start, tokens.length, model.get("show_values"), decimals, ...tokens].join("\u0000");
    if (key !== mapKey) {
      map = hmBuildMap(tokens, model.get("show_values"), decimals, start);
      main.replaceChildren(map.svg);
      mapKey = key;
    }
    windowControl.update(view());
    root.dataset.windowStart = start;
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
    tip.textContent = "";
    tip.append(`query ${i} “`, cwPutToken(cwEl("span", { class: "cw-mono" }), tokenAt(i)), "”");
    if (Number.isInteger(j)) {
      const w = current()[i - map.start][j - map.start];
      tip.append(
        ` → key ${j} “`,
        cwPutToken(cwEl("span", { class: "cw-mono" }), tokenAt(j)),
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
    // the arrows move the selection within the window shown
    const { start, tokens } = view();
    const end = start + tokens.length - 1;
    const q = model.get("selected_query");
    const inside = q !== null && q !== undefined && q >= start && q <= end;
    let next = null;
    if (event.key === "ArrowDown") next = inside ? Math.min(end, q + 1) : start;
    if (event.key === "ArrowUp") next = inside ? Math.max(start, q - 1) : end;
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

  bag.add(() => root.remove());
  cwTooltip(bag, main, tip, root, fillTip, hideBand);
  bag.on(main, "click", onClick);
  bag.on(main, "keydown", onKey);
  bag.on(thumbs, "click", onThumb);
  bag.watch(model, ["view", "selected_query", "selected_head", "decimals", "show_values"], draw);
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
