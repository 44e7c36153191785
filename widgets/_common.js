// Helpers shared by every course widget. `widgets._base.esm` puts this file in front of each
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

// The element matching `selector` that an event happened in, or null (a text node has no
// `closest`).
function cwClosest(event, selector) {
  const target = event.target;
  return target && target.closest ? target.closest(selector) : null;
}

// Tell Python what the learner did: set one trait and send it.
function cwReport(model, trait, value) {
  model.set(trait, value);
  model.save_changes();
}

// A tooltip over `area`, following the pointer at most once per frame: `fill(event)` writes
// the tip and returns true, or returns false to hide it; the tip hides when the pointer
// leaves, and `onLeave` (optional) runs then too. Listeners and the pending frame go in `bag`.
function cwTooltip(bag, area, tip, root, fill, onLeave) {
  const hide = () => {
    tip.style.display = "none";
  };
  const move = cwThrottle((event) => {
    if (fill(event)) cwPlaceTip(tip, root, event);
    else hide();
  });
  bag.on(area, "pointermove", move);
  bag.on(area, "pointerleave", () => {
    move.cancel();
    hide();
    if (onLeave) onLeave();
  });
  bag.add(move.cancel);
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
