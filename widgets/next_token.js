// NextTokenDistribution: one bar per candidate token, most likely first. Python computes
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
      ? `+ ${hidden.length} less likely tokens not plotted here (probability ${cwFmt(hidden.reduce((s, i) => s + scaled[i], 0), 3)} after temperature).`
      : "Click a bar to select that token.";
  };

  const onClick = (event) => {
    const row = cwClosest(event, ".nt-row");
    if (!row) return;
    cwReport(model, "selected", Number(row.dataset.index));
    draw();
  };
  const fillTip = (event) => {
    const row = cwClosest(event, ".nt-row");
    if (!row) return false;
    const i = Number(row.dataset.index);
    const { scaled, kept, final } = model.get("distribution");
    tip.textContent = "";
    tip.append(
      "“",
      cwPutToken(cwEl("span", { class: "cw-mono" }), model.get("tokens")[i]),
      `”  logit ${cwFmt(model.get("logits")[i], 2)} · after temperature ${cwFmt(scaled[i], 4)} · `,
      kept[i] ? `kept: ${cwFmt(final[i], 4)}` : "dropped",
    );
    return true;
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(chart, "click", onClick);
  cwTooltip(bag, chart, tip, root, fillTip);
  bag.watch(model, ["distribution", "tokens", "selected", "max_bars"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
