// TokenStrip: a text as its tokens, alternately coloured. Python sends `tokens` (each a string,
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

  const fillTip = (event) => {
    const chip = cwClosest(event, ".ts-tok");
    if (!chip) return false;
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
    return true;
  };
  const onClick = (event) => {
    const chip = cwClosest(event, ".ts-tok");
    if (!chip) return;
    cwReport(model, "selected", Number(chip.dataset.index));
    draw();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  cwTooltip(bag, strip, tip, root, fillTip);
  bag.on(strip, "click", onClick);
  bag.watch(model, ["tokens", "ids", "selected", "show_ids"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
