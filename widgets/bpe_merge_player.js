// BPEMergePlayer: replays a BPE training. Python sends the initial tokens (byte values),
// the merges in order ({pair: [left, right], id, count}), chunk starts and optional ids; this
// re-segments the text after `step` merges (the rule of core.tokenize.bpe.merge_pair, which
// BPEMergePlayer.segmentation applies in Python and a browser test holds this equal to: join
// each non-overlapping left+right neighbour pair, left to right, never across a chunk start) and reports the learner's step. Helpers prefixed `cw` come from _common.js.

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
    cwReport(model, "step", clamped);
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
    const row = cwClosest(event, "tr[data-step]");
    if (!row) return;
    stopPlaying();
    setStep(Number(row.dataset.step));
  };
  const fillTip = (event) => {
    const chip = cwClosest(event, ".bpe-tok");
    const token = chip ? shown[Number(chip.dataset.index)] : null;
    if (!token) return false;
    const made = token.born < 0 ? "an initial token" : `made by merge ${token.born + 1}`;
    tip.textContent = `id ${token.id ?? "?"} · ${token.bytes.length} byte${token.bytes.length === 1 ? "" : "s"} (${cwHex(token.bytes)}) · ${made}`;
    return true;
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
  cwTooltip(bag, text, tip, root, fillTip);
  bag.add(stopPlaying);
  bag.watch(model, ["step", "merges", "initial_tokens", "chunk_starts", "initial_ids"], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
