// VectorPlane: named 2-D arrows from the origin; the learner drags their tips (or moves them
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
    cwReport(model, "vectors", local.map((v) => [...v]));
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
    const hit = cwClosest(event, ".vp-hit");
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
    const hit = cwClosest(event, ".vp-hit");
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
