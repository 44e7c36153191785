"""The widgets' JavaScript and CSS as Python strings. GENERATED: do not edit.

Edit the .js/.css files beside this module, then run `python widgets/_build_assets.py`.
Keys are file names; `widgets._base.esm` and `css` put the shared files first.
"""

FILES: dict[str, str] = {
    "_common.css": r"""/* Theme variables shared by every course widget (prepended to each widget's own CSS).
   The widget's root carries `cw-root`; `cw-dark` is toggled by cwFollowTheme from the page's
   theme (marimo's body class / data-theme, else prefers-color-scheme). */

.cw-root {
  --cw-fg: #1f2328;
  --cw-muted: #59636e;
  --cw-faint: #818b98;
  --cw-panel: #f6f8fa;
  --cw-panel-strong: #eaeef2;
  --cw-border: #d1d9e0;
  --cw-accent: #0969da;
  --cw-accent-soft: rgba(9, 105, 218, 0.14);
  --cw-select: #d4530d;
  --cw-select-soft: rgba(212, 83, 13, 0.14);
  --cw-kept: #0969da;
  --cw-dropped: #afb8c1;
  --cw-tok-a: #d8ecff;
  --cw-tok-b: #fdf0c4;
  --cw-tok-a-edge: #8cc4f5;
  --cw-tok-b-edge: #e2c35a;
  --cw-new: #2da44e;
  --cw-new-soft: rgba(45, 164, 78, 0.18);
  --cw-mono: ui-monospace, "SFMono-Regular", "Cascadia Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  position: relative;
  color: var(--cw-fg);
  font-family: inherit;
  font-size: 13px;
  line-height: 1.4;
  font-variant-numeric: tabular-nums;
  box-sizing: border-box;
  max-width: 100%;
}

.cw-root.cw-dark {
  --cw-fg: #e6edf3;
  --cw-muted: #9ea7b3;
  --cw-faint: #768390;
  --cw-panel: #161b22;
  --cw-panel-strong: #21262d;
  --cw-border: #3d444d;
  --cw-accent: #4c9bff;
  --cw-accent-soft: rgba(76, 155, 255, 0.2);
  --cw-select: #ff9b57;
  --cw-select-soft: rgba(255, 155, 87, 0.2);
  --cw-kept: #4c9bff;
  --cw-dropped: #545d68;
  --cw-tok-a: #12355e;
  --cw-tok-b: #4a3b0a;
  --cw-tok-a-edge: #2f6fb5;
  --cw-tok-b-edge: #9a7b1c;
  --cw-new: #3fb950;
  --cw-new-soft: rgba(63, 185, 80, 0.22);
}

.cw-root *,
.cw-root *::before,
.cw-root *::after {
  box-sizing: border-box;
}

.cw-root .cw-ws {
  color: var(--cw-faint);
  fill: var(--cw-faint);
}

.cw-root .cw-mono {
  font-family: var(--cw-mono);
}

.cw-root .cw-caption {
  color: var(--cw-muted);
  font-size: 12px;
  margin: 4px 0;
}

.cw-root .cw-tip {
  position: absolute;
  display: none;
  z-index: 10;
  pointer-events: none;
  max-width: 320px;
  padding: 5px 8px;
  border-radius: 6px;
  border: 1px solid var(--cw-border);
  background: var(--cw-panel);
  color: var(--cw-fg);
  font-size: 12px;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.18);
  white-space: nowrap;
}

.cw-root button {
  font: inherit;
  color: var(--cw-fg);
  background: var(--cw-panel);
  border: 1px solid var(--cw-border);
  border-radius: 6px;
  padding: 2px 10px;
  cursor: pointer;
}

.cw-root button:hover:not(:disabled) {
  background: var(--cw-panel-strong);
}

.cw-root button:disabled {
  opacity: 0.45;
  cursor: default;
}

.cw-root :focus-visible {
  outline: 2px solid var(--cw-accent);
  outline-offset: 1px;
}
""",
    "_common.js": r"""// Helpers shared by every course widget. `widgets._base.esm` puts this file in front of each
// widget's own module (an ES module string cannot import a sibling file in the browser), so
// these are plain function declarations, all prefixed `cw`. No libraries, no network.

const CW_SVG = "http://www.w3.org/2000/svg";

// Is the page dark? marimo puts `dark`/`dark-theme` classes and data-theme on <body>; Jupyter
// sets data-jp-theme-light; otherwise follow the operating system.
function cwIsDark() {
  const body = document.body;
  if (body) {
    const theme = body.dataset.theme;
    if (theme === "dark" || theme === "light") return theme === "dark";
    if (body.classList.contains("dark") || body.classList.contains("dark-theme")) return true;
    if (body.dataset.jpThemeLight) return body.dataset.jpThemeLight === "false";
  }
  return Boolean(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
}

// Keep the `cw-dark` class of `root` in step with the page's theme; call onChange after each
// switch (canvas-like colours computed in JS need repainting). Returns the cleanup.
function cwFollowTheme(root, onChange) {
  let dark = null;
  const apply = () => {
    const now = cwIsDark();
    if (now === dark) return;
    dark = now;
    root.classList.toggle("cw-dark", now);
    if (onChange) onChange(now);
  };
  apply();
  const observer = new MutationObserver(apply);
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ["class", "data-theme", "data-jp-theme-light"],
  });
  const media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  if (media) media.addEventListener("change", apply);
  return () => {
    observer.disconnect();
    if (media) media.removeEventListener("change", apply);
  };
}

// Run fn at most once per animation frame with the latest arguments (hover, drag).
// An event argument is passed on as a snapshot {target, clientX, clientY}: once dispatch is
// over, the browser resets the target of an event that happened inside a shadow root.
function cwThrottle(fn) {
  let frame = 0;
  let latest = [];
  const run = (...args) => {
    latest = args.map((a) =>
      a instanceof Event ? { target: a.target, clientX: a.clientX, clientY: a.clientY } : a,
    );
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      fn(...latest);
    });
  };
  run.cancel = () => {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
  };
  return run;
}

// A number as the course prints it: fixed decimals, a real minus sign, no "-0.00",
// and null (how Python sends -inf) as "−∞".
function cwFmt(value, decimals = 2) {
  if (value === null || value === undefined) return "−∞";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  let text = value.toFixed(decimals);
  if (/^-0\.?0*$/.test(text)) text = text.slice(1);
  return text.replace("-", "−");
}

// Create an HTML element: cwEl("div", {class: "x", text: "hi", "data-i": 3}, child, ...).
function cwEl(tag, props = {}, ...children) {
  return cwFill(document.createElement(tag), props, children);
}

// Create an SVG element with attributes.
function cwSvg(tag, props = {}, ...children) {
  return cwFill(document.createElementNS(CW_SVG, tag), props, children);
}

function cwFill(node, props, children) {
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Whitespace made visible: a token's text split into runs, each {text, special}.
// Space -> ␣, newline -> ↵, tab -> ⇥, other control characters -> their code.
const CW_SPECIAL = { " ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍" };
function cwVisibleRuns(text) {
  const runs = [];
  for (const ch of text) {
    const code = ch.codePointAt(0);
    let shown = CW_SPECIAL[ch];
    if (shown === undefined && (code < 32 || code === 127)) {
      shown = "\\x" + code.toString(16).padStart(2, "0");
    }
    const special = shown !== undefined;
    const last = runs[runs.length - 1];
    if (last && last.special === special) last.text += special ? shown : ch;
    else runs.push({ text: special ? shown : ch, special });
  }
  return runs;
}

// The visible form as one plain string (for titles and tooltips).
function cwVisible(text) {
  return cwVisibleRuns(text)
    .map((run) => run.text)
    .join("");
}

// Put a token's visible form into an element (HTML span or SVG text): special characters in a
// muted child so a learner sees "␣the" and can tell the space is part of the token.
function cwPutToken(node, text, maxChars = Infinity) {
  node.textContent = "";
  const svg = node.namespaceURI === CW_SVG;
  let used = 0;
  for (const run of cwVisibleRuns(text)) {
    let piece = run.text;
    if (used + piece.length > maxChars) piece = piece.slice(0, Math.max(0, maxChars - used - 1)) + "…";
    used += piece.length;
    if (run.special) {
      const span = svg ? cwSvg("tspan", { class: "cw-ws" }) : cwEl("span", { class: "cw-ws" });
      span.textContent = piece;
      node.append(span);
    } else {
      node.append(document.createTextNode(piece));
    }
    if (used >= maxChars) break;
  }
  return node;
}

// Bytes (an array of 0..255) as text when they are valid UTF-8, else null.
function cwDecodeUtf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

// Bytes as the hex a learner can look up: [226, 128] -> "e2 80".
function cwHex(bytes) {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

// Sequential colour for t in [0, 1]: light paper to deep blue, or on a dark page from the
// page colour to pale blue, so that "more attention" always means "more contrast".
const CW_RAMPS = {
  light: ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"],
  dark: ["#1b1f26", "#1d3b63", "#2f6fb5", "#63a6ea", "#cfe6ff"],
};
function cwRamp(t, dark) {
  const stops = CW_RAMPS[dark ? "dark" : "light"];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const a = cwRgb(stops[i]);
  const b = cwRgb(stops[i + 1]);
  const f = x - i;
  const mix = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

// Text colour that stays readable on cwRamp(t, dark).
function cwInk(t, dark) {
  return dark ? (t > 0.62 ? "#0b1220" : "#e6edf3") : t > 0.5 ? "#ffffff" : "#1f2328";
}

function cwRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// Position a tooltip div (absolute, inside `root`) near the pointer, kept inside root.
function cwPlaceTip(tip, root, event) {
  const box = root.getBoundingClientRect();
  tip.style.display = "block";
  const width = tip.offsetWidth;
  let x = event.clientX - box.left + 14;
  if (x + width > box.width) x = Math.max(0, event.clientX - box.left - width - 14);
  tip.style.left = `${x}px`;
  tip.style.top = `${event.clientY - box.top + 16}px`;
}

// Collects what render() must undo, so its cleanup is one call: DOM listeners, model
// listeners ("change:<trait>"), timers and other cleanups, undone in reverse order.
function cwDisposer() {
  const undo = [];
  return {
    on(node, type, fn) {
      node.addEventListener(type, fn);
      undo.push(() => node.removeEventListener(type, fn));
    },
    watch(model, traits, fn) {
      for (const trait of traits) {
        model.on(`change:${trait}`, fn);
        undo.push(() => model.off(`change:${trait}`, fn));
      }
    },
    add(fn) {
      undo.push(fn);
    },
    dispose() {
      while (undo.length) undo.pop()();
    },
  };
}
""",
    "attention_heatmap.css": r""".cw-heatmap .cw-hm-layout {
  display: flex;
  flex-wrap: wrap;
  gap: 16px;
  align-items: flex-start;
}

.cw-heatmap .cw-hm-thumbs {
  display: grid;
  grid-template-columns: repeat(2, auto);
  gap: 8px;
  align-content: start;
}

.cw-heatmap .cw-hm-thumb {
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 2px;
  padding: 4px;
  border: 2px solid transparent;
  background: transparent;
}

.cw-heatmap .cw-hm-thumb svg {
  display: block;
  border: 1px solid var(--cw-border);
}

.cw-heatmap .cw-hm-thumb-title {
  font-size: 12px;
  color: var(--cw-muted);
}

.cw-heatmap .cw-hm-thumb.cw-hm-thumb-on {
  border-color: var(--cw-select);
}

.cw-heatmap .cw-hm-thumb.cw-hm-thumb-on .cw-hm-thumb-title {
  color: var(--cw-fg);
  font-weight: 600;
}

.cw-heatmap .cw-hm-title {
  font-weight: 600;
  min-height: 0;
}

.cw-heatmap .cw-hm-map {
  display: block;
  max-width: 100%;
  height: auto;
  cursor: pointer;
  user-select: none;
}

.cw-heatmap .cw-hm-map text {
  fill: var(--cw-fg);
  font-size: 12px;
}

.cw-heatmap .cw-hm-label {
  font-family: var(--cw-mono);
}

.cw-heatmap .cw-hm-map .cw-hm-axis {
  fill: var(--cw-muted);
  font-size: 12px;
}

.cw-heatmap .cw-hm-map text.cw-hm-val {
  font-family: var(--cw-mono);
  pointer-events: none;
}

.cw-heatmap .cw-hm-cell {
  stroke: var(--cw-panel);
  stroke-width: 1;
}

.cw-heatmap .cw-hm-hover {
  fill: none;
  stroke: var(--cw-fg);
  stroke-opacity: 0.45;
  stroke-width: 1.5;
  pointer-events: none;
  display: none;
}

.cw-heatmap .cw-hm-selected {
  fill: none;
  stroke: var(--cw-select);
  stroke-width: 3;
  pointer-events: none;
  display: none;
}

.cw-heatmap .cw-hm-legend line {
  stroke: var(--cw-muted);
}

.cw-heatmap .cw-hm-legend rect {
  stroke: var(--cw-border);
}

.cw-heatmap .cw-hm-map .cw-hm-legend text {
  fill: var(--cw-muted);
  font-size: 11px;
}

.cw-heatmap .cw-hm-map:focus {
  outline: none;
}

.cw-heatmap .cw-hm-map:focus-visible {
  outline: 2px solid var(--cw-accent);
  outline-offset: 2px;
}
""",
    "attention_heatmap.js": r"""// AttentionHeatmap: rows are queries, columns are keys. Python sends tokens and weights
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

  const showTip = cwThrottle((event) => {
    const target = event.target;
    const i = Number(target.dataset ? target.dataset.i : NaN);
    const j = Number(target.dataset ? target.dataset.j : NaN);
    if (!map) return;
    if (!Number.isInteger(i)) {
      tip.style.display = "none";
      hmMoveBand(map.hover, map, null);
      return;
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
    cwPlaceTip(tip, root, event);
  });
  const hideTip = () => {
    showTip.cancel();
    tip.style.display = "none";
    if (map) hmMoveBand(map.hover, map, null);
  };
  const select = (i) => {
    model.set("selected_query", i);
    model.save_changes();
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
    const button = event.target.closest(".cw-hm-thumb");
    if (!button) return;
    model.set("selected_head", Number(button.dataset.head));
    model.save_changes();
    draw();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(main, "pointermove", showTip);
  bag.on(main, "pointerleave", hideTip);
  bag.on(main, "click", onClick);
  bag.on(main, "keydown", onKey);
  bag.on(thumbs, "click", onThumb);
  bag.add(showTip.cancel);
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
""",
    "attention_trace.css": r""".cw-trace .tr-explain {
  position: sticky;
  top: 0;
  z-index: 2;
  min-height: 2.4em;
  padding: 6px 10px;
  margin-bottom: 8px;
  border: 1px solid var(--cw-border);
  border-left: 4px solid var(--cw-accent);
  border-radius: 6px;
  background: var(--cw-panel);
  font-family: var(--cw-mono);
  font-size: 13px;
  overflow-wrap: anywhere;
}

.cw-trace .tr-section {
  margin: 6px 0 14px;
}

.cw-trace h4 {
  margin: 0 0 6px;
  font-size: 13px;
  font-weight: 600;
  color: var(--cw-muted);
}

.cw-trace .tr-proj {
  display: grid;
  grid-template-columns: auto auto;
  column-gap: 8px;
  row-gap: 6px;
  align-items: center;
  justify-content: start;
}

.cw-trace .tr-line,
.cw-trace .tr-flow {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px 8px;
}

.cw-trace .tr-op {
  color: var(--cw-muted);
  font-size: 15px;
  white-space: nowrap;
}

.cw-trace .tr-op.tr-sym {
  font-size: 22px;
  font-weight: 700;
  color: var(--cw-fg);
}

.cw-trace .tr-step {
  display: flex;
  align-items: center;
  gap: 8px;
}

.cw-trace .tr-title {
  font-size: 12px;
  margin-bottom: 1px;
  white-space: nowrap;
}

.cw-trace .tr-shape,
.cw-trace .tr-note {
  color: var(--cw-muted);
}

.cw-trace .tr-table {
  border-collapse: collapse;
  font-family: var(--cw-mono);
  font-size: 12.5px;
}

.cw-trace .tr-table th,
.cw-trace .tr-table td {
  padding: 1px 5px;
  border: 1px solid var(--cw-border);
  height: 22px;
}

.cw-trace .tr-table td {
  min-width: 44px;
  text-align: right;
  cursor: default;
}

.cw-trace .tr-table th {
  font-weight: normal;
  color: var(--cw-muted);
  background: var(--cw-panel);
  white-space: nowrap;
}

.cw-trace .tr-table th.tr-row {
  text-align: left;
  color: var(--cw-fg);
  cursor: pointer;
}

.cw-trace .tr-table th.tr-corner {
  border-color: transparent;
  background: transparent;
}

.cw-trace .tr-index {
  color: var(--cw-faint);
  font-size: 11px;
}

.cw-trace .tr-table tr[data-i] td {
  cursor: pointer;
}

.cw-trace .tr-table td.tr-inf,
.cw-trace .tr-table td.tr-zero {
  color: var(--cw-faint);
}

.cw-trace .tr-table tr.tr-sel td,
.cw-trace .tr-table tr.tr-sel th.tr-row {
  background: var(--cw-select-soft);
  font-weight: 600;
}

.cw-trace .tr-table tr.tr-sel th.tr-row {
  box-shadow: inset 3px 0 0 var(--cw-select);
}

.cw-trace .tr-table td.tr-operand {
  background: var(--cw-accent-soft);
  box-shadow: inset 0 0 0 1px var(--cw-accent);
}

.cw-trace .tr-table td.tr-focus {
  box-shadow: inset 0 0 0 2px var(--cw-select);
}

/* the rows of W_Q, W_K, W_V are the embedding's features, not tokens: named like columns */
.cw-trace .tr-table[data-stage^="W_"] th.tr-row {
  color: var(--cw-muted);
  cursor: default;
}
""",
    "attention_trace.js": r"""// AttentionTrace: one attention head, stage by stage, every number shown. Python sends
// `stages` (X, Q, K, V, scores, scaled, masked, weights, output, and optionally W_Q, W_K,
// W_V); this lays them out, highlights the selected query's row in every stage, reports a
// clicked row as selected_query, and explains the hovered number with the numbers it came from.
// Columns (and the rows of W_*) carry the names in feature_labels, query_labels, key_labels
// and value_labels, or their index when a name is null. show_values=false stops at the weights.
// Helpers prefixed `cw` come from _common.js.

const TR_SUB = "₀₁₂₃₄₅₆₇₈₉";
const trSub = (n) => String(n).replace(/\d/g, (d) => TR_SUB[Number(d)]);
const TR_TOKEN_ROWS = new Set(["X", "Q", "K", "V", "scores", "scaled", "masked", "weights", "output"]);
// stages whose row i belongs to query i (K and V rows belong to keys)
const TR_QUERY_ROWS = new Set(["X", "Q", "scores", "scaled", "masked", "weights", "output"]);
const TR_PAIR = new Set(["scores", "scaled", "masked", "weights"]);
// which label trait names a stage's columns, and its rows (W_* rows are the features)
const TR_COLUMNS = {
  X: "feature_labels",
  W_Q: "query_labels",
  Q: "query_labels",
  W_K: "key_labels",
  K: "key_labels",
  W_V: "value_labels",
  V: "value_labels",
  output: "value_labels",
};
const TR_LABEL_TRAITS = ["feature_labels", "query_labels", "key_labels", "value_labels"];
// what a column of W_* leads to, in a sentence
const TR_SLOT_KIND = { W_Q: "query slot", W_K: "key slot", W_V: "value slot" };
const TR_TITLES = {
  X: ["X", "token embeddings"],
  W_Q: ["W_Q", "query projection"],
  W_K: ["W_K", "key projection"],
  W_V: ["W_V", "value projection"],
  Q: ["Q", "what each token seeks"],
  K: ["K", "what each token offers"],
  V: ["V", "what each token passes on"],
  scores: ["Q Kᵀ", "raw scores"],
  scaled: ["scaled", ""],
  masked: ["masked", ""],
  weights: ["weights", "softmax of each row"],
  output: ["output", "weighted sum of V rows"],
};

// The names of a stage's columns and rows: {cols, rows}, each an array, or null (numbered).
function trAxisNames(stage, labels) {
  return {
    cols: TR_COLUMNS[stage] ? labels[TR_COLUMNS[stage]] : null,
    rows: stage.startsWith("W_") ? labels.feature_labels : null,
  };
}

// How column j of `stage` is written in a formula: its name, else its index.
function trColName(stage, j, labels) {
  const names = trAxisNames(stage, labels).cols;
  return names ? names[j] : `${j}`;
}

// One matrix as an HTML table: rows are tokens or dimensions, columns dimensions or tokens.
function trTable(stage, matrix, tokens, labels) {
  const rows = matrix.length;
  const cols = matrix[0].length;
  const [name, note] = TR_TITLES[stage];
  const names = trAxisNames(stage, labels);
  const head = cwEl("tr", {}, cwEl("th", { class: "tr-corner" }));
  for (let j = 0; j < cols; j += 1) {
    const th = cwEl("th", { class: names.cols ? "tr-col tr-named" : "tr-col", "data-j": j });
    if (TR_PAIR.has(stage)) cwPutToken(th, tokens[j], 6);
    else th.textContent = names.cols ? names.cols[j] : `${j}`;
    head.append(th);
  }
  const body = cwEl("tbody");
  const cells = [];
  const trs = [];
  for (let i = 0; i < rows; i += 1) {
    const tr = cwEl("tr", { "data-i": i });
    const th = cwEl("th", { class: "tr-row", "data-stage": stage, "data-i": i });
    if (TR_TOKEN_ROWS.has(stage)) {
      th.append(cwEl("span", { class: "tr-index", text: `${i}` }), " ");
      th.append(cwPutToken(cwEl("span", { class: "cw-mono" }), tokens[i], 8));
    } else {
      th.textContent = names.rows ? names.rows[i] : `${i}`;
      if (names.rows) th.classList.add("tr-named");
    }
    tr.append(th);
    const rowCells = [];
    for (let j = 0; j < cols; j += 1) {
      const td = cwEl("td", { "data-stage": stage, "data-i": i, "data-j": j });
      tr.append(td);
      rowCells.push(td);
    }
    body.append(tr);
    cells.push(rowCells);
    trs.push(tr);
  }
  const table = cwEl("table", { class: "tr-table", "data-stage": stage }, cwEl("thead", {}, head), body);
  const title = cwEl(
    "div",
    { class: "tr-title" },
    cwEl("b", { text: name }),
    cwEl("span", { class: "tr-shape", text: ` ${rows}×${cols}` }),
    note ? cwEl("span", { class: "tr-note", text: ` ${note}` }) : null,
  );
  return { stage, box: cwEl("div", { class: "tr-matrix" }, title, table), cells, trs };
}

function trOp(text) {
  return cwEl("div", { class: text.length <= 2 ? "tr-op tr-sym" : "tr-op", text });
}

// An operator and the matrix it leads to, kept on one line when the flow wraps.
function trStep(text, box) {
  return cwEl("div", { class: "tr-step" }, trOp(text), box);
}

// The arithmetic behind stages[stage][i][j], as text, and the cells it used. Columns are
// written by name where `labels` has names for them.
function trExplain(stage, i, j, S, tokens, decimals, labels) {
  const f = (v) => cwFmt(v, decimals);
  const c = (of, k) => trColName(of, k, labels);
  const features = labels.feature_labels;
  const p = (v) => (v !== null && v < 0 ? `(${f(v)})` : f(v));
  const tok = (k) => `“${cwVisible(tokens[k])}”`;
  const value = S[stage][i][j];
  const dot = (a, b) => a.map((x, k) => `${f(x)}×${p(b[k])}`).join(" + ");
  const col = (m, c) => m.map((row) => row[c]);
  if (stage === "X") {
    const what = features ? `feature ${features[j]}` : `dimension ${j}`;
    return { text: `X[${i}, ${c("X", j)}] = ${f(value)}: ${what} of the embedding of token ${i} ${tok(i)} (an input).`, ops: [] };
  }
  if (stage.startsWith("W_")) {
    const from = features ? `feature ${features[i]}` : `embedding dimension ${i}`;
    const to = trAxisNames(stage, labels).cols ? `${TR_SLOT_KIND[stage]} ${c(stage, j)}` : `output dimension ${j}`;
    const row = features ? features[i] : `${i}`;
    return { text: `${stage}[${row}, ${c(stage, j)}] = ${f(value)}: a learned weight, from ${from} to ${to}.`, ops: [] };
  }
  if (stage === "Q" || stage === "K" || stage === "V") {
    const w = `W_${stage}`;
    const name = c(stage, j);
    if (!S[w]) {
      return { text: `${stage}[${i}, ${name}] = ${f(value)}: row ${i} of X times column ${name} of ${w}.`, ops: [{ stage: "X", i }] };
    }
    return {
      text: `${stage}[${i}, ${name}] = x${trSub(i)} · ${w}[:, ${name}] = ${dot(S.X[i], col(S[w], j))} = ${f(value)}`,
      ops: [{ stage: "X", i }, { stage: w, j }],
    };
  }
  if (stage === "scores") {
    return {
      text: `score(${tok(i)} → ${tok(j)}) = q${trSub(i)} · k${trSub(j)} = ${dot(S.Q[i], S.K[j])} = ${f(value)}`,
      ops: [{ stage: "Q", i }, { stage: "K", i: j }],
    };
  }
  if (stage === "scaled") {
    const d = S.Q[0].length;
    const scaledBy = Math.abs(S.scaled[i][j] - S.scores[i][j]) > 1e-9 || S.scores[i][j] === 0;
    const text = scaledBy
      ? `${f(S.scores[i][j])} ÷ √${d} = ${f(S.scores[i][j])} ÷ ${cwFmt(Math.sqrt(d), 3)} = ${f(value)}`
      : `not scaled: ${f(value)}`;
    return { text, ops: [{ stage: "scores", i, j }] };
  }
  if (stage === "masked") {
    if (value === null) {
      return {
        text: `key ${j} ${tok(j)} comes after query ${i} ${tok(i)}: hidden, set to −∞, so its weight will be 0.`,
        ops: [{ stage: "scaled", i, j }],
      };
    }
    return { text: `key ${j} ${tok(j)} is visible to query ${i} ${tok(i)}: kept, ${f(value)}.`, ops: [{ stage: "scaled", i, j }] };
  }
  if (stage === "weights") {
    const row = S.masked[i];
    if (row[j] === null) {
      return { text: `exp(−∞) = 0: query ${i} cannot see key ${j}, so the weight is 0.`, ops: [{ stage: "masked", i, j }] };
    }
    const visible = row.filter((m) => m !== null);
    const total = visible.reduce((sum, m) => sum + Math.exp(m), 0);
    const terms = visible.map((m) => `exp(${f(m)})`).join(" + ");
    return {
      text: `exp(${f(row[j])}) / (${terms}) = ${f(Math.exp(row[j]))} / ${f(total)} = ${f(value)}`,
      ops: [{ stage: "masked", i }],
    };
  }
  // output
  const slot = c("output", j);
  return {
    text: `output[${i}, ${slot}] = Σₖ w${trSub(i)}ₖ × V[k, ${slot}] = ${dot(S.weights[i], col(S.V, j))} = ${f(value)}`,
    ops: [{ stage: "weights", i }, { stage: "V", j }],
  };
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-trace" });
  const explain = cwEl("div", { class: "tr-explain", "aria-live": "polite" });
  const body = cwEl("div", { class: "tr-body" });
  root.append(explain, body);
  el.append(root);
  const idle = "Hover any number to see how it was computed. Click a row to follow that query through every stage.";
  explain.textContent = idle;

  let tables = {}; // stage -> [table handles] (weights appears twice)
  let key = "";
  let marked = [];

  const labelsNow = () => Object.fromEntries(TR_LABEL_TRAITS.map((t) => [t, model.get(t)]));

  const build = () => {
    const S = model.get("stages");
    const tokens = model.get("tokens");
    const labels = labelsNow();
    const values = model.get("show_values");
    tables = {};
    const make = (stage) => {
      const handle = trTable(stage, S[stage], tokens, labels);
      (tables[stage] = tables[stage] || []).push(handle);
      return handle.box;
    };
    // 1: projections, X once on the left
    const projected = values ? ["Q", "K", "V"] : ["Q", "K"];
    const proj = cwEl("div", { class: "tr-proj" });
    const x = make("X");
    x.style.gridRow = `1 / span ${projected.length}`;
    proj.append(x);
    projected.forEach((stage, r) => {
      const parts = S[`W_${stage}`]
        ? [trOp("·"), make(`W_${stage}`), trOp("="), make(stage)]
        : [trOp(`· W_${stage} =`), make(stage)];
      const line = cwEl("div", { class: "tr-line" }, ...parts);
      line.style.gridRow = `${r + 1}`;
      proj.append(line);
    });
    // 2: scores to weights
    const d = S.Q[0].length;
    const scaled = S.scaled.some((row, i) => row.some((v, j) => Math.abs(v - S.scores[i][j]) > 1e-9));
    const causal = S.masked.some((row) => row.some((v) => v === null));
    const flow = cwEl(
      "div",
      { class: "tr-flow" },
      make("scores"),
      trStep(scaled ? `÷ √${d} →` : "not scaled →", make("scaled")),
      trStep(causal ? "mask the future →" : "no mask →", make("masked")),
      trStep("softmax each row →", make("weights")),
    );
    const sections = [
      cwEl("div", { class: "tr-section", "data-section": "1" }, cwEl("h4", { text: `1 · Project each token: X · W = ${projected.join(", ")}` }), proj),
      cwEl("div", { class: "tr-section", "data-section": "2" }, cwEl("h4", { text: "2 · Score every query against every key" }), flow),
    ];
    // 3: mix the values
    if (values) {
      const mix = cwEl(
        "div",
        { class: "tr-flow" },
        make("weights"),
        trStep("·", make("V")),
        trStep("=", make("output")),
      );
      sections.push(cwEl("div", { class: "tr-section", "data-section": "3" }, cwEl("h4", { text: "3 · Mix the values: weights · V = output" }), mix));
    }
    body.replaceChildren(...sections);
  };

  const paint = () => {
    const S = model.get("stages");
    const decimals = model.get("decimals");
    for (const handles of Object.values(tables)) {
      for (const handle of handles) {
        const m = S[handle.stage];
        handle.cells.forEach((row, i) =>
          row.forEach((td, j) => {
            const v = m[i][j];
            td.textContent = cwFmt(v, decimals);
            td.classList.toggle("tr-inf", v === null);
            td.classList.toggle("tr-zero", v === 0);
          }),
        );
      }
    }
    const q = model.get("selected_query");
    for (const [stage, handles] of Object.entries(tables)) {
      if (!TR_QUERY_ROWS.has(stage)) continue;
      for (const handle of handles) handle.trs.forEach((tr, i) => tr.classList.toggle("tr-sel", i === q));
    }
    root.dataset.selectedQuery = q ?? "";
  };

  const draw = () => {
    const S = model.get("stages");
    const shape = (m) => (m ? `${m.length}x${m[0].length}` : "-");
    const next = JSON.stringify([
      model.get("tokens"),
      ["X", "Q", "V", "W_Q", "W_K", "W_V"].map((k) => shape(S[k])),
      labelsNow(),
      model.get("show_values"),
    ]);
    if (next !== key) {
      build();
      key = next;
    }
    paint();
  };

  const clearMarks = () => {
    for (const node of marked) node.classList.remove("tr-operand", "tr-focus");
    marked = [];
  };
  const mark = (node, cls) => {
    node.classList.add(cls);
    marked.push(node);
  };

  const onHover = cwThrottle((target) => {
    clearMarks();
    const td = target && target.closest ? target.closest("td[data-stage]") : null;
    if (!td) {
      explain.textContent = idle;
      return;
    }
    const stage = td.dataset.stage;
    const i = Number(td.dataset.i);
    const j = Number(td.dataset.j);
    const { text, ops } = trExplain(stage, i, j, model.get("stages"), model.get("tokens"), model.get("decimals"), labelsNow());
    explain.textContent = text;
    mark(td, "tr-focus");
    for (const op of ops) {
      for (const handle of tables[op.stage] || []) {
        handle.cells.forEach((row, r) =>
          row.forEach((cell, c) => {
            const inRow = op.i === undefined || op.i === r;
            const inCol = op.j === undefined || op.j === c;
            if (inRow && inCol) mark(cell, "tr-operand");
          }),
        );
      }
    }
  });
  const onOver = (event) => onHover(event.target);
  const onLeave = () => onHover(null);
  const onClick = (event) => {
    const cell = event.target.closest ? event.target.closest("[data-stage][data-i]") : null;
    if (!cell || !TR_QUERY_ROWS.has(cell.dataset.stage)) return;
    model.set("selected_query", Number(cell.dataset.i));
    model.save_changes();
    paint();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(body, "pointerover", onOver);
  bag.on(body, "pointerleave", onLeave);
  bag.on(body, "click", onClick);
  bag.add(onHover.cancel);
  bag.watch(model, ["stages", "tokens", "selected_query", "decimals", "show_values", ...TR_LABEL_TRAITS], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
""",
    "bpe_merge_player.css": r""".cw-bpe .bpe-controls {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px;
  margin-bottom: 8px;
}

.cw-bpe .bpe-slider {
  flex: 1 1 160px;
  min-width: 120px;
  max-width: 360px;
  accent-color: var(--cw-accent);
}

.cw-bpe .bpe-counter {
  color: var(--cw-muted);
  white-space: nowrap;
}

.cw-bpe .bpe-current {
  padding: 6px 10px;
  margin-bottom: 8px;
  border: 1px solid var(--cw-border);
  border-left: 4px solid var(--cw-new);
  border-radius: 6px;
  background: var(--cw-panel);
  line-height: 1.9;
}

.cw-bpe .bpe-chip {
  font-family: var(--cw-mono);
  padding: 1px 4px;
  border-radius: 3px;
  border: 1px solid var(--cw-border);
  background: var(--cw-panel-strong);
  white-space: pre;
}

.cw-bpe .bpe-chip.bpe-new {
  border-color: var(--cw-new);
  background: var(--cw-new-soft);
  font-weight: 600;
}

.cw-bpe .bpe-text {
  display: flex;
  flex-wrap: wrap;
  row-gap: 4px;
  column-gap: 1px;
  padding: 8px;
  border: 1px solid var(--cw-border);
  border-radius: 6px;
  max-height: 240px;
  overflow-y: auto;
}

.cw-bpe .bpe-tok {
  font-family: var(--cw-mono);
  font-size: 14px;
  line-height: 1.35;
  padding: 1px 2px;
  border-radius: 3px;
  white-space: pre;
  border: 2px solid transparent;
}

.cw-bpe .bpe-a {
  background: var(--cw-tok-a);
}

.cw-bpe .bpe-b {
  background: var(--cw-tok-b);
}

.cw-bpe .bpe-tok.bpe-just {
  border-color: var(--cw-new);
  font-weight: 600;
}

.cw-bpe .bpe-hex {
  font-size: 12px;
  color: var(--cw-muted);
}

.cw-bpe .bpe-break {
  flex-basis: 100%;
  height: 0;
}

.cw-bpe .bpe-list-title {
  margin-top: 10px;
  font-size: 12px;
  color: var(--cw-muted);
}

.cw-bpe .bpe-list {
  position: relative;
  max-height: 170px;
  overflow-y: auto;
  border: 1px solid var(--cw-border);
  border-radius: 6px;
}

.cw-bpe .bpe-list table {
  min-width: 60%;
  border-collapse: collapse;
  font-size: 12.5px;
}

.cw-bpe .bpe-list th {
  position: sticky;
  top: 0;
  background: var(--cw-panel);
  color: var(--cw-muted);
  font-weight: normal;
  text-align: left;
  padding: 2px 8px;
}

.cw-bpe .bpe-list td {
  padding: 2px 8px;
  border-top: 1px solid var(--cw-border);
  cursor: pointer;
  white-space: nowrap;
}

.cw-bpe .bpe-list tr.bpe-todo td {
  color: var(--cw-faint);
}

.cw-bpe .bpe-list tr.bpe-now td {
  background: var(--cw-new-soft);
  font-weight: 600;
}
""",
    "bpe_merge_player.js": r"""// BPEMergePlayer: replays a BPE training. Python sends the initial tokens (byte values),
// the merges in order ({pair: [left, right], id, count}), chunk starts and optional ids; this
// re-segments the text after `step` merges (same rule as BPEMergePlayer.segmentation in Python:
// join each non-overlapping left+right neighbour pair, left to right, never across a chunk
// start) and reports the learner's step. Helpers prefixed `cw` come from _common.js.

const BPE_PLAY_MS = 700;

// A token's face: its text when the bytes are UTF-8, else the bytes in hex.
function bpeFace(node, bytes) {
  const text = cwDecodeUtf8(bytes);
  if (text === null) {
    node.textContent = `⟨${cwHex(bytes)}⟩`;
    node.classList.add("bpe-hex");
  } else {
    cwPutToken(node, text);
  }
  return node;
}

// Tokens after `step` merges: [{bytes, key, born (merge index or -1), id}], and how many times
// the last merge fired in this text.
function bpeSegment(initial, starts, initialIds, merges, step) {
  const bounds = [0, ...starts, initial.length];
  let chunks = [];
  for (let c = 0; c + 1 < bounds.length; c += 1) {
    const chunk = [];
    for (let k = bounds[c]; k < bounds[c + 1]; k += 1) {
      const bytes = initial[k];
      const id = initialIds.length ? initialIds[k] : bytes.length === 1 ? bytes[0] : undefined;
      chunk.push({ bytes, key: bytes.join(","), born: -1, id });
    }
    chunks.push(chunk);
  }
  let fired = 0;
  for (let m = 0; m < step; m += 1) {
    const [left, right] = merges[m].pair;
    const lk = left.join(",");
    const rk = right.join(",");
    fired = 0;
    chunks = chunks.map((chunk) => {
      const out = [];
      let k = 0;
      while (k < chunk.length) {
        if (k + 1 < chunk.length && chunk[k].key === lk && chunk[k + 1].key === rk) {
          const bytes = [...left, ...right];
          out.push({ bytes, key: bytes.join(","), born: m, id: merges[m].id });
          fired += 1;
          k += 2;
        } else {
          out.push(chunk[k]);
          k += 1;
        }
      }
      return out;
    });
  }
  return { tokens: chunks.flat(), fired };
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-bpe" });
  const button = (label, title) => cwEl("button", { type: "button", title, "aria-label": title, text: label });
  const first = button("|◀", "back to the start");
  const prev = button("◀", "undo one merge");
  const play = button("▶ play", "play the merges");
  const next = button("▶", "apply the next merge");
  const last = button("▶|", "apply every merge");
  const slider = cwEl("input", { type: "range", min: 0, step: 1, class: "bpe-slider", "aria-label": "merge step" });
  const counter = cwEl("span", { class: "bpe-counter" });
  const controls = cwEl("div", { class: "bpe-controls" }, first, prev, next, last, play, slider, counter);
  const current = cwEl("div", { class: "bpe-current" });
  const text = cwEl("div", { class: "bpe-text" });
  const stats = cwEl("div", { class: "cw-caption" });
  const listBody = cwEl("tbody");
  const list = cwEl(
    "div",
    { class: "bpe-list" },
    cwEl(
      "table",
      {},
      cwEl(
        "thead",
        {},
        cwEl(
          "tr",
          {},
          ...["#", "pair merged", "new token", "id", "count"].map((h) => cwEl("th", { text: h })),
        ),
      ),
      listBody,
    ),
  );
  const tip = cwEl("div", { class: "cw-tip", role: "tooltip" });
  root.append(controls, current, text, stats, cwEl("div", { class: "bpe-list-title", text: "All merges, in training order (click one to jump there)" }), list, tip);
  el.append(root);

  let timer = 0;
  let shown = [];
  let listKey = null;

  const stopPlaying = () => {
    if (timer) clearInterval(timer);
    timer = 0;
    play.textContent = "▶ play";
  };

  const setStep = (step) => {
    const n = model.get("merges").length;
    const clamped = Math.max(0, Math.min(n, step));
    if (clamped === model.get("step")) return;
    model.set("step", clamped);
    model.save_changes();
    draw();
  };

  const buildList = () => {
    const merges = model.get("merges");
    listBody.replaceChildren(
      ...merges.map((m, i) => {
        const [left, right] = m.pair;
        const pair = cwEl("td", {});
        pair.append(bpeFace(cwEl("span", { class: "bpe-chip" }), left), " + ", bpeFace(cwEl("span", { class: "bpe-chip" }), right));
        return cwEl(
          "tr",
          { "data-step": i + 1 },
          cwEl("td", { text: `${i + 1}` }),
          pair,
          cwEl("td", {}, bpeFace(cwEl("span", { class: "bpe-chip" }), [...left, ...right])),
          cwEl("td", { text: `${m.id}` }),
          cwEl("td", { text: m.count === null ? "?" : `${m.count}` }),
        );
      }),
    );
  };

  const draw = () => {
    const merges = model.get("merges");
    const initial = model.get("initial_tokens");
    const step = Math.min(model.get("step"), merges.length);
    if (listKey !== merges) {
      buildList();
      listKey = merges;
    }
    slider.max = merges.length;
    slider.value = step;
    counter.textContent = `${step} / ${merges.length} merges`;
    first.disabled = prev.disabled = step === 0;
    next.disabled = last.disabled = step === merges.length;
    const { tokens, fired } = bpeSegment(initial, model.get("chunk_starts"), model.get("initial_ids"), merges, step);
    shown = tokens;
    // the merge just applied
    current.textContent = "";
    if (step === 0) {
      current.append(cwEl("b", { text: "Before any merge: " }), `the text is ${initial.length} tokens, one per byte. Press ▶ to apply the most frequent pair.`);
    } else {
      const m = merges[step - 1];
      const [left, right] = m.pair;
      current.append(
        cwEl("b", { text: `Merge ${step}: ` }),
        bpeFace(cwEl("span", { class: "bpe-chip" }), left),
        " + ",
        bpeFace(cwEl("span", { class: "bpe-chip" }), right),
        " → ",
        bpeFace(cwEl("span", { class: "bpe-chip bpe-new" }), [...left, ...right]),
        ` new id ${m.id} · ` +
          (m.count === null ? "" : `the pair occurred ${m.count} time${m.count === 1 ? "" : "s"} when it was chosen · `) +
          `merged ${fired} time${fired === 1 ? "" : "s"} in this text`,
      );
    }
    // the text, re-segmented
    const chips = [];
    tokens.forEach((t, i) => {
      const chip = bpeFace(cwEl("span", { class: `bpe-tok ${i % 2 ? "bpe-b" : "bpe-a"}`, "data-index": i }), t.bytes);
      if (step > 0 && t.born === step - 1) chip.classList.add("bpe-just");
      chips.push(chip);
      if (cwDecodeUtf8(t.bytes)?.endsWith("\n")) chips.push(cwEl("span", { class: "bpe-break" }));
    });
    text.replaceChildren(...chips);
    const bytes = initial.reduce((n, t) => n + t.length, 0);
    stats.textContent = `${tokens.length} tokens for ${bytes} bytes (${(bytes / tokens.length).toFixed(2)} bytes per token) · new tokens of this merge are outlined in green`;
    // the list of merges
    for (const row of listBody.children) {
      const s = Number(row.dataset.step);
      row.classList.toggle("bpe-done", s < step);
      row.classList.toggle("bpe-now", s === step);
      row.classList.toggle("bpe-todo", s > step);
    }
    const now = listBody.children[step - 1];
    if (now) list.scrollTop = Math.max(0, now.offsetTop - list.clientHeight / 2);
  };

  const onSlider = () => {
    stopPlaying();
    setStep(Number(slider.value));
  };
  const onFirst = () => {
    stopPlaying();
    setStep(0);
  };
  const onPrev = () => {
    stopPlaying();
    setStep(model.get("step") - 1);
  };
  const onNext = () => {
    stopPlaying();
    setStep(model.get("step") + 1);
  };
  const onLast = () => {
    stopPlaying();
    setStep(model.get("merges").length);
  };
  const onPlay = () => {
    if (timer) {
      stopPlaying();
      return;
    }
    if (model.get("step") >= model.get("merges").length) setStep(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(() => {
      if (model.get("step") >= model.get("merges").length) stopPlaying();
      else setStep(model.get("step") + 1);
    }, BPE_PLAY_MS);
  };
  const onList = (event) => {
    const row = event.target.closest ? event.target.closest("tr[data-step]") : null;
    if (!row) return;
    stopPlaying();
    setStep(Number(row.dataset.step));
  };
  const onMove = cwThrottle((event) => {
    const chip = event.target.closest ? event.target.closest(".bpe-tok") : null;
    const token = chip ? shown[Number(chip.dataset.index)] : null;
    if (!token) {
      tip.style.display = "none";
      return;
    }
    const made = token.born < 0 ? "an initial token" : `made by merge ${token.born + 1}`;
    tip.textContent = `id ${token.id ?? "?"} · ${token.bytes.length} byte${token.bytes.length === 1 ? "" : "s"} (${cwHex(token.bytes)}) · ${made}`;
    cwPlaceTip(tip, root, event);
  });
  const onLeave = () => {
    onMove.cancel();
    tip.style.display = "none";
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(slider, "input", onSlider);
  bag.on(first, "click", onFirst);
  bag.on(prev, "click", onPrev);
  bag.on(next, "click", onNext);
  bag.on(last, "click", onLast);
  bag.on(play, "click", onPlay);
  bag.on(listBody, "click", onList);
  bag.on(text, "pointermove", onMove);
  bag.on(text, "pointerleave", onLeave);
  bag.add(onMove.cancel);
  bag.add(stopPlaying);
  bag.watch(model, ["step", "merges", "initial_tokens", "chunk_starts", "initial_ids"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
""",
    "next_token.css": r""".cw-next {
  --nt-label: minmax(60px, max-content);
  --nt-num: 118px;
}

.cw-next .nt-summary {
  margin-bottom: 4px;
}

.cw-next .nt-legend {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 4px 8px;
  font-size: 12px;
  color: var(--cw-muted);
  margin-bottom: 8px;
}

.cw-next .nt-key {
  display: inline-block;
  width: 18px;
  height: 10px;
  border-radius: 2px;
  margin-left: 6px;
}

.cw-next .nt-key-scaled {
  border: 1.5px solid var(--cw-kept);
}

.cw-next .nt-key-final {
  background: var(--cw-kept);
}

.cw-next .nt-key-dropped {
  background: var(--cw-dropped);
}

.cw-next .nt-chart {
  display: grid;
  grid-template-columns: var(--nt-label) minmax(200px, 1fr) var(--nt-num);
  column-gap: 10px;
  max-width: 760px;
}

.cw-next .nt-row {
  display: contents;
  cursor: pointer;
}

.cw-next .nt-label {
  font-family: var(--cw-mono);
  font-size: 13px;
  text-align: right;
  white-space: pre;
  padding: 2px 0;
}

.cw-next .nt-track {
  position: relative;
  height: 20px;
  margin: 2px 0;
  border-left: 1px solid var(--cw-muted);
  background-image: linear-gradient(to right, var(--cw-border) 1px, transparent 1px);
  background-size: 25% 100%;
}

.cw-next .nt-bar {
  position: absolute;
  left: 0;
  top: 2px;
  bottom: 2px;
  border-radius: 0 3px 3px 0;
}

.cw-next .nt-scaled {
  border: 1.5px solid var(--cw-kept);
  border-left: none;
}

.cw-next .nt-final {
  top: 5px;
  bottom: 5px;
  background: var(--cw-kept);
}

.cw-next .nt-dropped .nt-scaled {
  border: none;
  background: var(--cw-dropped);
}

.cw-next .nt-dropped .nt-label {
  color: var(--cw-faint);
  text-decoration: line-through;
}

.cw-next .nt-num {
  font-family: var(--cw-mono);
  font-size: 12px;
  white-space: nowrap;
  padding: 3px 0;
}

.cw-next .nt-dropped .nt-num {
  color: var(--cw-faint);
}

.cw-next .nt-row:hover .nt-label,
.cw-next .nt-row:hover .nt-num {
  color: var(--cw-fg);
  font-weight: 600;
}

.cw-next .nt-selected .nt-label {
  outline: 2px solid var(--cw-select);
  outline-offset: 1px;
  border-radius: 2px;
}

.cw-next .nt-ticks {
  position: relative;
  height: 34px;
  border-top: 1px solid var(--cw-muted);
}

.cw-next .nt-tick {
  position: absolute;
  top: 2px;
  transform: translateX(-50%);
  font-size: 11px;
  color: var(--cw-muted);
}

.cw-next .nt-axis-title {
  position: absolute;
  top: 17px;
  left: 50%;
  transform: translateX(-50%);
  font-size: 12px;
  color: var(--cw-muted);
}
""",
    "next_token.js": r"""// NextTokenDistribution: one bar per candidate token, most likely first. Python computes
// `distribution` ({scaled, kept, final}) with core.sampling; this draws the probability after
// temperature as an outlined bar, the renormalised probability of each kept token as a solid
// bar, dropped tokens in grey, and reports a clicked token's index as `selected`.
// Helpers prefixed `cw` come from _common.js.

function ntNiceMax(value) {
  for (const top of [0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.8, 1]) if (value <= top + 1e-12) return top;
  return 1;
}

function ntSettings(model) {
  const parts = [`temperature ${cwFmt(model.get("temperature"), 2)}`];
  const k = model.get("top_k");
  const p = model.get("top_p");
  parts.push(k === null || k === undefined ? "top-k off" : `top-k ${k}`);
  parts.push(p === null || p === undefined || p >= 1 ? "top-p off" : `top-p ${cwFmt(p, 2)}`);
  return parts.join(" · ");
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-next" });
  const summary = cwEl("div", { class: "nt-summary" });
  const legend = cwEl(
    "div",
    { class: "nt-legend" },
    cwEl("span", { class: "nt-key nt-key-scaled" }),
    "after temperature",
    cwEl("span", { class: "nt-key nt-key-final" }),
    "kept, renormalised (what sampling uses)",
    cwEl("span", { class: "nt-key nt-key-dropped" }),
    "dropped by top-k / top-p",
  );
  const chart = cwEl("div", { class: "nt-chart", role: "list" });
  const more = cwEl("div", { class: "cw-caption" });
  const tip = cwEl("div", { class: "cw-tip", role: "tooltip" });
  root.append(summary, legend, chart, more, tip);
  el.append(root);

  const draw = () => {
    const tokens = model.get("tokens");
    const dist = model.get("distribution");
    if (!dist || !dist.scaled) return;
    const { scaled, kept, final } = dist;
    const order = tokens.map((_, i) => i).sort((a, b) => scaled[b] - scaled[a] || a - b);
    const shown = order.slice(0, model.get("max_bars"));
    const top = ntNiceMax(Math.max(...shown.map((i) => Math.max(scaled[i], final[i]))));
    const selected = model.get("selected");
    const rows = shown.map((i) => {
      const label = cwPutToken(cwEl("span", { class: "nt-label" }), tokens[i], 14);
      const track = cwEl(
        "span",
        { class: "nt-track" },
        cwEl("span", { class: "nt-bar nt-scaled", style: `width: ${(100 * scaled[i]) / top}%` }),
        kept[i] ? cwEl("span", { class: "nt-bar nt-final", style: `width: ${(100 * final[i]) / top}%` }) : null,
      );
      const numbers = cwEl(
        "span",
        { class: "nt-num" },
        kept[i] ? `${cwFmt(scaled[i], 3)} → ${cwFmt(final[i], 3)}` : `${cwFmt(scaled[i], 3)} → dropped`,
      );
      const row = cwEl(
        "div",
        {
          class: `nt-row${kept[i] ? "" : " nt-dropped"}${selected === i ? " nt-selected" : ""}`,
          role: "listitem",
          "data-index": i,
          "data-kept": kept[i] ? "1" : "0",
        },
        label,
        track,
        numbers,
      );
      return row;
    });
    // the axis is the chart grid's last row, so its ticks line up with the bars
    chart.replaceChildren(
      ...rows,
      cwEl("span"),
      cwEl(
        "span",
        { class: "nt-ticks" },
        ...[0, 0.25, 0.5, 0.75, 1].map((f) =>
          cwEl("span", { class: "nt-tick", style: `left: ${100 * f}%`, text: cwFmt(top * f, top * f < 0.1 && f > 0 ? 3 : 2) }),
        ),
        cwEl("span", { class: "nt-axis-title", text: "probability" }),
      ),
      cwEl("span"),
    );
    const nKept = kept.filter(Boolean).length;
    const keptMass = scaled.reduce((sum, p, i) => sum + (kept[i] ? p : 0), 0);
    summary.textContent = `${ntSettings(model)} → ${nKept} of ${tokens.length} tokens kept; they had ${cwFmt(keptMass, 3)} of the probability, now rescaled to sum to 1.`;
    const hidden = order.slice(shown.length);
    more.textContent = hidden.length
      ? `+ ${hidden.length} less likely tokens not drawn (probability ${cwFmt(hidden.reduce((s, i) => s + scaled[i], 0), 3)} after temperature).`
      : "Click a bar to select that token.";
  };

  const onClick = (event) => {
    const row = event.target.closest ? event.target.closest(".nt-row") : null;
    if (!row) return;
    model.set("selected", Number(row.dataset.index));
    model.save_changes();
    draw();
  };
  const onMove = cwThrottle((event) => {
    const row = event.target.closest ? event.target.closest(".nt-row") : null;
    if (!row) {
      tip.style.display = "none";
      return;
    }
    const i = Number(row.dataset.index);
    const { scaled, kept, final } = model.get("distribution");
    tip.textContent = "";
    tip.append(
      "“",
      cwPutToken(cwEl("span", { class: "cw-mono" }), model.get("tokens")[i]),
      `”  logit ${cwFmt(model.get("logits")[i], 2)} · after temperature ${cwFmt(scaled[i], 4)} · `,
      kept[i] ? `kept: ${cwFmt(final[i], 4)}` : "dropped",
    );
    cwPlaceTip(tip, root, event);
  });
  const onLeave = () => {
    onMove.cancel();
    tip.style.display = "none";
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(chart, "click", onClick);
  bag.on(chart, "pointermove", onMove);
  bag.on(chart, "pointerleave", onLeave);
  bag.add(onMove.cancel);
  bag.watch(model, ["distribution", "tokens", "selected", "max_bars"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
""",
    "token_strip.css": r""".cw-tokens .ts-strip {
  display: flex;
  flex-wrap: wrap;
  align-items: flex-start;
  row-gap: 4px;
  column-gap: 1px;
  padding: 8px;
  border: 1px solid var(--cw-border);
  border-radius: 6px;
  max-height: 320px;
  overflow-y: auto;
}

.cw-tokens .ts-tok {
  display: inline-flex;
  flex-direction: column;
  align-items: center;
  padding: 1px 2px;
  border-radius: 3px;
  border-bottom: 2px solid transparent;
  font-family: var(--cw-mono);
  font-size: 14px;
  line-height: 1.35;
  white-space: pre;
  cursor: pointer;
}

.cw-tokens .ts-a {
  background: var(--cw-tok-a);
  border-bottom-color: var(--cw-tok-a-edge);
}

.cw-tokens .ts-b {
  background: var(--cw-tok-b);
  border-bottom-color: var(--cw-tok-b-edge);
}

.cw-tokens .ts-tok:hover {
  outline: 1px solid var(--cw-fg);
}

.cw-tokens .ts-tok.ts-selected {
  outline: 2px solid var(--cw-select);
}

.cw-tokens .ts-bytes {
  font-size: 12px;
  color: var(--cw-muted);
}

.cw-tokens .ts-id {
  font-size: 10.5px;
  color: var(--cw-muted);
}

.cw-tokens .ts-break {
  flex-basis: 100%;
  height: 0;
}
""",
    "token_strip.js": r"""// TokenStrip: a text as its tokens, alternately coloured. Python sends `tokens` (each a string,
// or an array of byte values for a byte-level piece that is not valid UTF-8 on its own) and
// optionally `ids`; this draws them with whitespace made visible and reports a clicked token's
// index as `selected`. Helpers prefixed `cw` come from _common.js.

function tsByteLength(token) {
  return typeof token === "string" ? new TextEncoder().encode(token).length : token.length;
}

function tsChip(token, index, id, showIds) {
  const chip = cwEl("span", {
    class: `ts-tok ${index % 2 ? "ts-b" : "ts-a"}`,
    "data-index": index,
    tabindex: -1,
  });
  const face = cwEl("span", { class: "ts-face" });
  if (typeof token === "string") {
    cwPutToken(face, token);
  } else {
    face.classList.add("ts-bytes");
    face.textContent = `⟨${cwHex(token)}⟩`;
  }
  chip.append(face);
  if (showIds && id !== undefined) chip.append(cwEl("span", { class: "ts-id", text: `${id}` }));
  return chip;
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-tokens" });
  const strip = cwEl("div", { class: "ts-strip", role: "list" });
  const summary = cwEl("div", { class: "cw-caption" });
  const tip = cwEl("div", { class: "cw-tip", role: "tooltip" });
  root.append(strip, summary, tip);
  el.append(root);

  const draw = () => {
    const tokens = model.get("tokens");
    const ids = model.get("ids");
    const showIds = model.get("show_ids");
    const chips = [];
    tokens.forEach((token, i) => {
      chips.push(tsChip(token, i, ids[i], showIds));
      if (typeof token === "string" && token.endsWith("\n")) chips.push(cwEl("span", { class: "ts-break" }));
    });
    strip.replaceChildren(...chips);
    const selected = model.get("selected");
    if (selected !== null && selected !== undefined) {
      const chip = strip.querySelector(`[data-index="${selected}"]`);
      if (chip) chip.classList.add("ts-selected");
    }
    const bytes = tokens.reduce((n, t) => n + tsByteLength(t), 0);
    const chars = tokens.filter((t) => typeof t === "string").reduce((n, t) => n + [...t].length, 0);
    const partial = tokens.filter((t) => typeof t !== "string").length;
    summary.textContent =
      `${tokens.length} tokens · ${bytes} bytes` +
      (partial ? ` · ${partial} byte-level pieces shown in hex` : ` · ${chars} characters`) +
      (selected !== null && selected !== undefined ? ` · selected token ${selected}` : " · click a token to select it");
  };

  const onMove = cwThrottle((event) => {
    const chip = event.target.closest ? event.target.closest(".ts-tok") : null;
    if (!chip) {
      tip.style.display = "none";
      return;
    }
    const i = Number(chip.dataset.index);
    const token = model.get("tokens")[i];
    const ids = model.get("ids");
    tip.textContent = "";
    tip.append(`token ${i}`);
    if (ids.length) tip.append(" · id ", cwEl("b", { text: `${ids[i]}` }));
    if (typeof token === "string") {
      tip.append(" · “", cwPutToken(cwEl("span", { class: "cw-mono" }), token), "”");
    } else {
      tip.append(` · bytes ${cwHex(token)} (not a whole character on its own)`);
    }
    tip.append(` · ${tsByteLength(token)} byte${tsByteLength(token) === 1 ? "" : "s"}`);
    cwPlaceTip(tip, root, event);
  });
  const onLeave = () => {
    onMove.cancel();
    tip.style.display = "none";
  };
  const onClick = (event) => {
    const chip = event.target.closest ? event.target.closest(".ts-tok") : null;
    if (!chip) return;
    model.set("selected", Number(chip.dataset.index));
    model.save_changes();
    draw();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(strip, "pointermove", onMove);
  bag.on(strip, "pointerleave", onLeave);
  bag.on(strip, "click", onClick);
  bag.add(onMove.cancel);
  bag.watch(model, ["tokens", "ids", "selected", "show_ids"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
""",
    "vector_plane.css": r""".cw-plane .vp-layout {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 8px 24px;
}

.cw-plane .vp-panel {
  display: flex;
  flex-direction: column;
  gap: 6px;
  font-size: 14px;
}

.cw-plane .vp-row {
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 2px 6px;
  border-radius: 4px;
  border: 1px solid transparent;
}

.cw-plane .vp-row.vp-active {
  border-color: var(--vp-colour);
}

.cw-plane .vp-row b {
  color: var(--vp-colour);
  min-width: 1.5em;
}

.cw-plane .vp-swatch {
  width: 18px;
  height: 4px;
  border-radius: 2px;
  background: var(--vp-colour);
}

.cw-plane .vp-coords {
  font-family: var(--cw-mono);
  white-space: pre;
}

.cw-plane .vp-svg {
  display: block;
  flex: 0 1 400px;
  width: 400px;
  max-width: 100%;
  height: auto;
  touch-action: none;
  user-select: none;
}

.cw-plane .vp-line {
  stroke: var(--cw-border);
  stroke-width: 1;
}

.cw-plane .vp-axis {
  stroke: var(--cw-muted);
  stroke-width: 1.5;
}

.cw-plane .vp-tick {
  fill: var(--cw-muted);
  font-size: 11px;
}

.cw-plane .vp-axis-name {
  fill: var(--cw-muted);
  font-size: 13px;
  font-weight: 600;
  paint-order: stroke;
  stroke: var(--cw-label-halo, #ffffff);
  stroke-width: 3px;
}

.cw-plane .vp-axis-name.vp-symbol {
  font-style: italic;
  font-weight: normal;
}

.cw-plane .vp-c0 { --vp-colour: #0969da; }
.cw-plane .vp-c1 { --vp-colour: #d4530d; }
.cw-plane .vp-c2 { --vp-colour: #1a7f37; }
.cw-plane .vp-c3 { --vp-colour: #8250df; }
.cw-plane .vp-c4 { --vp-colour: #bf3989; }
.cw-plane .vp-c5 { --vp-colour: #7d6608; }
.cw-plane.cw-dark .vp-c0 { --vp-colour: #58a6ff; }
.cw-plane.cw-dark .vp-c1 { --vp-colour: #ff9b57; }
.cw-plane.cw-dark .vp-c2 { --vp-colour: #56d364; }
.cw-plane.cw-dark .vp-c3 { --vp-colour: #bc8cff; }
.cw-plane.cw-dark .vp-c4 { --vp-colour: #f778ba; }
.cw-plane.cw-dark .vp-c5 { --vp-colour: #e3b341; }

.cw-plane .vp-shaft {
  stroke: var(--vp-colour);
  stroke-width: 3;
  stroke-linecap: round;
}

.cw-plane .vp-head,
.cw-plane .vp-dot {
  fill: var(--vp-colour);
}

.cw-plane .vp-label {
  fill: var(--vp-colour);
  font-family: var(--cw-mono);
  font-size: 15px;
  font-weight: 700;
  paint-order: stroke;
  stroke: var(--cw-label-halo, #ffffff);
  stroke-width: 3px;
}

.cw-plane.cw-dark {
  --cw-label-halo: #0d1117;
}

.cw-plane .vp-hit {
  fill: transparent;
  stroke: none;
  cursor: grab;
}

.cw-plane .vp-hit:focus-visible,
.cw-plane .vp-active .vp-hit {
  stroke: var(--vp-colour);
  stroke-width: 1.5;
  stroke-dasharray: 3 3;
  outline: none;
}

.cw-plane.vp-dragging .vp-hit {
  cursor: grabbing;
}
""",
    "vector_plane.js": r"""// VectorPlane: named 2-D arrows from the origin; the learner drags their tips (or moves them
// with the arrow keys) and the new coordinates go back to Python as `vectors`, throttled while
// dragging and exactly on release. The axes carry the names in `axis_labels`.
// Helpers prefixed `cw` come from _common.js.

const VP_SIZE = 400; // viewBox side; the square is drawn inside a margin
const VP_MARGIN = 34;
const VP_SYNC_MS = 90; // at most one update to Python per this many ms while dragging
const VP_COLOURS = 6;

function vpTickStep(extent) {
  const raw = extent / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
}

function vpSnap(value, snap, extent) {
  const clamped = Math.max(-extent, Math.min(extent, value));
  if (!(snap > 0)) return Number(clamped.toFixed(6));
  let snapped = Math.round(clamped / snap) * snap;
  if (Math.abs(snapped) > extent) snapped -= Math.sign(snapped) * snap;
  return Number(snapped.toFixed(6));
}

function render({ model, el }) {
  const root = cwEl("div", { class: "cw-root cw-plane" });
  const svg = cwSvg("svg", {
    class: "vp-svg",
    viewBox: `0 0 ${VP_SIZE} ${VP_SIZE}`,
    role: "application",
    "aria-label": "vectors: drag a tip to move it",
  });
  const gridLayer = cwSvg("g", { class: "vp-grid" });
  const arrowLayer = cwSvg("g");
  svg.append(gridLayer, arrowLayer);
  const caption = cwEl("div", { class: "cw-caption" });
  const panel = cwEl("div", { class: "vp-panel" });
  root.append(cwEl("div", { class: "vp-layout" }, svg, panel), caption);
  el.append(root);

  let local = null; // coordinates while dragging (drawn before Python has them)
  let arrows = [];
  let arrowKey = "";
  let drag = null;
  let lastSync = 0;
  let syncTimer = 0;

  const extent = () => model.get("extent");
  const scale = () => (VP_SIZE / 2 - VP_MARGIN) / extent();
  const toPx = ([x, y]) => [VP_SIZE / 2 + x * scale(), VP_SIZE / 2 - y * scale()];
  const vectors = () => local ?? model.get("vectors");

  const drawGrid = () => {
    gridLayer.replaceChildren();
    const e = extent();
    const step = vpTickStep(e);
    const lo = VP_SIZE / 2 - e * scale();
    const hi = VP_SIZE / 2 + e * scale();
    const decimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
    const count = Math.floor(e / step + 1e-9);
    for (let k = -count; k <= count; k += 1) {
      const v = k * step;
      const [px, py] = toPx([v, v]);
      const axis = Math.abs(v) < 1e-9;
      gridLayer.append(
        cwSvg("line", { x1: px, x2: px, y1: lo, y2: hi, class: axis ? "vp-axis" : "vp-line" }),
        cwSvg("line", { x1: lo, x2: hi, y1: py, y2: py, class: axis ? "vp-axis" : "vp-line" }),
        cwSvg("text", { x: px, y: hi + 14, "text-anchor": "middle", class: "vp-tick", text: cwFmt(v, decimals) }),
        cwSvg("text", { x: lo - 6, y: py, "text-anchor": "end", "dominant-baseline": "central", class: "vp-tick", text: cwFmt(v, decimals) }),
      );
    }
    // a one-letter name is a variable (x, y: italic), a longer one a word (animal: upright)
    const [xName, yName] = model.get("axis_labels");
    const nameClass = (name) => (name.length === 1 ? "vp-axis-name vp-symbol" : "vp-axis-name");
    gridLayer.append(
      cwSvg("text", { x: hi, y: VP_SIZE / 2 - 6, "text-anchor": "end", class: nameClass(xName), "data-axis": "x", text: xName }),
      cwSvg("text", { x: VP_SIZE / 2 + 6, y: lo + 12, class: nameClass(yName), "data-axis": "y", text: yName }),
    );
  };

  const buildArrows = () => {
    const names = model.get("names");
    arrowLayer.replaceChildren();
    arrows = names.map((name, n) => {
      const g = cwSvg("g", { class: `vp-vec vp-c${n % VP_COLOURS}`, "data-index": n });
      const line = cwSvg("line", { class: "vp-shaft" });
      const head = cwSvg("polygon", { class: "vp-head" });
      const dot = cwSvg("circle", { r: 5, class: "vp-dot" });
      const hit = cwSvg("circle", {
        r: 16,
        class: "vp-hit",
        tabindex: 0,
        role: "slider",
        "aria-label": `vector ${name}: arrow keys move it`,
        "data-index": n,
      });
      const label = cwSvg("text", { class: "vp-label", text: name });
      g.append(line, head, dot, label, hit);
      arrowLayer.append(g);
      const coords = cwEl("span", { class: "vp-coords" });
      const row = cwEl(
        "div",
        { class: `vp-row vp-c${n % VP_COLOURS}`, "data-index": n },
        cwEl("span", { class: "vp-swatch" }),
        cwEl("b", { text: name }),
        coords,
      );
      return { g, line, head, dot, hit, label, name, row, coords };
    });
    panel.replaceChildren(...arrows.map((a) => a.row));
  };

  const drawArrows = () => {
    const values = vectors();
    const [ox, oy] = toPx([0, 0]);
    arrows.forEach((a, n) => {
      const [x, y] = values[n];
      const [px, py] = toPx([x, y]);
      const length = Math.hypot(px - ox, py - oy);
      const ux = length > 0 ? (px - ox) / length : 1;
      const uy = length > 0 ? (py - oy) / length : 0;
      const headLen = Math.min(12, length);
      const bx = px - ux * headLen;
      const by = py - uy * headLen;
      a.line.setAttribute("x1", ox);
      a.line.setAttribute("y1", oy);
      a.line.setAttribute("x2", bx);
      a.line.setAttribute("y2", by);
      a.head.setAttribute(
        "points",
        `${px},${py} ${bx - uy * 5},${by + ux * 5} ${bx + uy * 5},${by - ux * 5}`,
      );
      for (const c of [a.dot, a.hit]) {
        c.setAttribute("cx", px);
        c.setAttribute("cy", py);
      }
      // the name just beyond the tip, kept inside the square; a zero vector has no direction,
      // so its name goes below left of the origin, clear of both axes' positive halves
      const [dx, dy] = length > 0 ? [ux, uy] : [-0.7, 0.7];
      const lx = Math.max(10, Math.min(VP_SIZE - 10, px + dx * 15));
      const ly = Math.max(14, Math.min(VP_SIZE - 6, py + dy * 15 + 5));
      a.label.setAttribute("x", lx);
      a.label.setAttribute("y", ly);
      a.label.setAttribute("text-anchor", dx < -0.4 ? "end" : dx > 0.4 ? "start" : "middle");
      a.coords.textContent = `(${cwFmt(x, 2)}, ${cwFmt(y, 2)})   |${a.name}| = ${cwFmt(Math.hypot(x, y), 2)}`;
      const [xName, yName] = model.get("axis_labels");
      a.hit.setAttribute("aria-valuetext", `${a.name} at ${xName} ${cwFmt(x, 2)}, ${yName} ${cwFmt(y, 2)}`);
      a.g.classList.toggle("vp-active", model.get("selected") === n);
      a.row.classList.toggle("vp-active", model.get("selected") === n);
    });
  };

  const draw = () => {
    const key = JSON.stringify([model.get("extent"), model.get("names"), model.get("axis_labels")]);
    if (key !== arrowKey) {
      drawGrid();
      buildArrows();
      arrowKey = key;
    }
    drawArrows();
    caption.textContent = "Drag a vector's tip to move it (or click it and use the arrow keys; Shift for bigger steps).";
  };

  const sync = () => {
    clearTimeout(syncTimer);
    syncTimer = 0;
    lastSync = performance.now();
    if (!local) return;
    model.set("vectors", local.map((v) => [...v]));
    model.save_changes();
  };
  const syncSoon = () => {
    const wait = VP_SYNC_MS - (performance.now() - lastSync);
    if (wait <= 0) sync();
    else if (!syncTimer) syncTimer = setTimeout(sync, wait);
  };
  const moveTo = (n, x, y) => {
    const e = extent();
    const snap = model.get("snap");
    if (!local) local = model.get("vectors").map((v) => [...v]);
    local[n] = [vpSnap(x, snap, e), vpSnap(y, snap, e)];
    if (model.get("selected") !== n) model.set("selected", n);
    drawArrows();
  };
  const pointerToData = (event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const p = point.matrixTransform(svg.getScreenCTM().inverse());
    return [(p.x - VP_SIZE / 2) / scale(), (VP_SIZE / 2 - p.y) / scale()];
  };

  const onDown = (event) => {
    const hit = event.target.closest ? event.target.closest(".vp-hit") : null;
    if (!hit) return;
    event.preventDefault();
    drag = { n: Number(hit.dataset.index), pointer: event.pointerId };
    svg.setPointerCapture(event.pointerId);
    hit.focus();
    root.classList.add("vp-dragging");
  };
  const onMove = cwThrottle((event) => {
    if (!drag) return;
    const [x, y] = pointerToData(event);
    moveTo(drag.n, x, y);
    syncSoon();
  });
  const onUp = (event) => {
    if (!drag) return;
    onMove.cancel();
    const [x, y] = pointerToData(event);
    moveTo(drag.n, x, y);
    if (svg.hasPointerCapture(drag.pointer)) svg.releasePointerCapture(drag.pointer);
    drag = null;
    root.classList.remove("vp-dragging");
    sync();
    local = null;
  };
  const onKey = (event) => {
    const hit = event.target.closest ? event.target.closest(".vp-hit") : null;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (!hit || !moves[event.key]) return;
    event.preventDefault();
    const n = Number(hit.dataset.index);
    const step = (model.get("snap") > 0 ? model.get("snap") : 0.1) * (event.shiftKey ? 5 : 1);
    const [x, y] = model.get("vectors")[n];
    moveTo(n, x + moves[event.key][0] * step, y + moves[event.key][1] * step);
    sync();
    local = null;
  };
  const onModel = () => {
    if (!drag) draw();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(svg, "pointerdown", onDown);
  bag.on(svg, "pointermove", onMove);
  bag.on(svg, "pointerup", onUp);
  bag.on(svg, "pointercancel", onUp);
  bag.on(svg, "keydown", onKey);
  bag.add(onMove.cancel);
  bag.add(() => clearTimeout(syncTimer));
  bag.watch(model, ["vectors", "names", "extent", "snap", "selected", "axis_labels"], onModel);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
""",
}
