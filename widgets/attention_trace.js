// AttentionTrace: one attention head, stage by stage, every number shown. Python sends
// `stages` (X, Q, K, V, scores, scaled, masked, weights, output, and optionally W_Q, W_K,
// W_V); this lays them out, highlights the selected query's row in every stage, reports a
// clicked row as selected_query, and explains the hovered number with the numbers it came from.
// Columns (and the rows of W_*) carry the names in feature_labels, query_labels, key_labels
// and value_labels, or their index when a name is null. show_values=false stops at the weights.
// Helpers prefixed `cw` come from _common.js.

const TR_SUB = "₀₁₂₃₄₅₆₇₈₉";
const trSub = (n) => String(n).replace(/\d/g, (d) => TR_SUB[Number(d)]);
// Python sends the stages under the names of core.mirrors.attention.STAGES, plus the
// projections W_Q, W_K, W_V; every stage but a projection has one row per token.
const trTokenRows = (stage) => !stage.startsWith("W_");
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

// each stage's shape in letters: T tokens, C features, d query/key slots, d_v value slots
const TR_DIMS = {
  X: "T×C",
  W_Q: "C×d",
  W_K: "C×d",
  W_V: "C×d_v",
  Q: "T×d",
  K: "T×d",
  V: "T×d_v",
  scores: "T×T",
  scaled: "T×T",
  masked: "T×T",
  weights: "T×T",
  output: "T×d_v",
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
    if (trTokenRows(stage)) {
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
    cwEl("span", { class: "tr-shape", text: ` ${rows}×${cols} (${TR_DIMS[stage]})` }),
    note ? cwEl("span", { class: "tr-note", text: ` ${note}` }) : null,
  );
  return { stage, box: cwEl("div", { class: "tr-matrix" }, title, table), cells, trs };
}

// Whether the scores were divided by √d. With d = 1 that changes no number, so a trace of
// width 1 says "÷ √1" (what the formula does) rather than "not scaled".
function trIsScaled(S) {
  if (S.Q[0].length === 1) return true;
  return S.scaled.some((row, i) => row.some((v, j) => Math.abs(v - S.scores[i][j]) > 1e-9));
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
    const scaledBy = trIsScaled(S) && (d === 1 || Math.abs(S.scaled[i][j] - S.scores[i][j]) > 1e-9 || S.scores[i][j] === 0);
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
    const scaled = trIsScaled(S);
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

  const onHover = cwThrottle((event) => {
    clearMarks();
    const td = event ? cwClosest(event, "td[data-stage]") : null;
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
  const onLeave = () => onHover(null);
  const onClick = (event) => {
    const cell = cwClosest(event, "[data-stage][data-i]");
    if (!cell || !TR_QUERY_ROWS.has(cell.dataset.stage)) return;
    cwReport(model, "selected_query", Number(cell.dataset.i));
    paint();
  };

  const bag = cwDisposer();
  bag.add(() => root.remove());
  bag.on(body, "pointerover", onHover);
  bag.on(body, "pointerleave", onLeave);
  bag.on(body, "click", onClick);
  bag.add(onHover.cancel);
  bag.watch(model, ["stages", "tokens", "selected_query", "decimals", "show_values", ...TR_LABEL_TRAITS], draw);
  bag.add(cwFollowTheme(root));
  draw();
  return bag.dispose;
}

export default { render };
