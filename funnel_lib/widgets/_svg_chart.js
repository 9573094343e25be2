// Small Yeses: the builder's and the duel's live charts, drawn in the browser as SVG.
//
// The model runs in Python; Python sends the numbers and every piece of text (already
// formatted) in the `data` traitlet, and this module only lays them out. Everything is real
// text: the chart has role="img" with a <title> and a <desc> that Python keeps up to date (the
// text alternative), the same numbers sit in a table under a <details>, and nothing in the
// chart takes keyboard focus, so Tab and Shift+Tab always move on.
//
// The module also gives the ipywidgets controls of its builder or duel their accessible names
// and states (see `labelControls`): sliders are named "Step 2 ask", toggle buttons expose
// aria-pressed.

const SVG = "http://www.w3.org/2000/svg";
let uid = 0;

function node(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

function html(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

// Wrap `text` into at most `maxLines` lines of about `chars` characters (the last one ends with "…").
function wrap(text, chars, maxLines) {
  const words = String(text).split(/\s+/);
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? line + " " + word : word;
    if (next.length <= chars || !line) {
      line = next;
    } else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    let last = kept[maxLines - 1];
    if (last.length > chars - 1) last = last.slice(0, chars - 1);
    kept[maxLines - 1] = last.replace(/\s+$/, "") + "…";
    return kept;
  }
  return lines.map((l) => (l.length > chars ? l.slice(0, chars - 1) + "…" : l));
}

function multiline(parent, lines, x, y, lineHeight, attrs = {}) {
  const t = node("text", { x, y, ...attrs }, parent);
  lines.forEach((line, i) => node("tspan", { x, dy: i === 0 ? 0 : lineHeight }, t, line));
  return t;
}

function patterns(svg, id, colours) {
  const defs = node("defs", {}, svg);
  const hatch = (name, colour, path) => {
    const p = node("pattern", { id: `${id}-${name}`, width: 6, height: 6, patternUnits: "userSpaceOnUse" }, defs);
    node("rect", { width: 6, height: 6, fill: colour }, p);
    node("path", { d: path, stroke: "#ffffff", "stroke-width": 1.2 }, p);
  };
  hatch("declined", colours.declined, "M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5");
  hatch("resistance", colours.resistance, "M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5");
  const dots = node("pattern", { id: `${id}-stagnation`, width: 6, height: 6, patternUnits: "userSpaceOnUse" }, defs);
  node("rect", { width: 6, height: 6, fill: colours.stagnation }, dots);
  node("circle", { cx: 3, cy: 3, r: 1.1, fill: "#ffffff" }, dots);
  const grey = node("pattern", { id: `${id}-baseline`, width: 6, height: 6, patternUnits: "userSpaceOnUse" }, defs);
  node("rect", { width: 6, height: 6, fill: colours.baseline }, grey);
  node("circle", { cx: 3, cy: 3, r: 1.0, fill: "#ffffff" }, grey);
}

function legend(parent, items, id) {
  const list = html("ul", { class: "funnel-svg-legend", "aria-label": "Legend" }, parent);
  for (const item of items) {
    const li = html("li", {}, list);
    const swatch = document.createElementNS(SVG, "svg");
    swatch.setAttribute("width", "18");
    swatch.setAttribute("height", "14");
    swatch.setAttribute("aria-hidden", "true");
    swatch.setAttribute("focusable", "false");
    if (item.line) {
      node("line", { x1: 1, y1: 7, x2: 17, y2: 7, stroke: item.colour, "stroke-width": 3,
                     "stroke-dasharray": item.dash || null }, swatch);
      node("circle", { cx: 9, cy: 7, r: 3.5, fill: item.colour }, swatch);
    } else {
      node("rect", { x: 1, y: 1, width: 16, height: 12, fill: item.pattern ? `url(#${id}-${item.pattern})` : item.colour,
                     stroke: "#333", "stroke-width": 0.6 }, swatch);
    }
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(" " + item.label));
  }
}

function table(parent, head, rows, caption) {
  const details = html("details", { class: "funnel-svg-table" }, parent);
  html("summary", {}, details, "Show the chart's numbers as a table");
  const t = html("table", {}, details);
  html("caption", {}, t, caption);
  const tr = html("tr", {}, html("thead", {}, t));
  head.forEach((h) => html("th", { scope: "col" }, tr, h));
  const body = html("tbody", {}, t);
  for (const row of rows) {
    const r = html("tr", {}, body);
    row.forEach((cell, i) => html(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, r, cell));
  }
}

// An <svg> that screen readers read as one image: its title and its text alternative (desc).
function chartSvg(data, id, small) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", `${id}-title ${id}-desc`);
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "funnel-svg");
  svg.style.fontSize = `${small}px`;
  node("title", { id: `${id}-title` }, svg, data.title);
  node("desc", { id: `${id}-desc` }, svg, data.summary);
  return svg;
}

// Size the svg in CSS pixels (1 unit = 1 px, so font sizes are real), then the note and the table.
function finish(root, svg, data, width, height, small) {
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.appendChild(svg);
  const note = html("p", { class: "funnel-svg-note" }, root, data.note);
  note.style.fontSize = `${small}px`;
  table(root, data.table_head, data.table_rows, data.title);
}

// -- the builder's chart: where people leave (top), is each ask the right size (bottom) ---------
function drawFunnel(root, data, width, presenter, id) {
  const c = data.colours;
  const font = presenter ? 20 : 13;
  const small = presenter ? 19 : 12;
  const line = Math.round(small * 1.25);
  const steps = data.steps || [];
  const heading = html("div", { class: "funnel-svg-heading", "aria-hidden": "true" }, root, data.title);
  heading.style.fontSize = `${font + 2}px`;
  if (!steps.length) {
    html("p", { class: "funnel-svg-empty" }, root, data.empty || "");
    return;
  }
  legend(root, [
    { colour: c.yes, label: "said yes" },
    { colour: c.drifted, label: "drifted away" },
    { pattern: "declined", label: "declined (said no)" },
    { pattern: "baseline", label: "one big ask only" },
  ], id);

  const svg = chartSvg(data, id, small);
  patterns(svg, id, c);

  // top panel -------------------------------------------------------------------------------
  const labelW = Math.min(Math.max(120, Math.round(width * 0.36)), 300);
  const chars = Math.max(10, Math.floor(labelW / (small * 0.55)));
  const rowH = Math.max(2 * line + 6, presenter ? 50 : 36);
  const rows = [...steps.map((s) => ({ label: `${s.n}. ${s.name}`, full: `Step ${s.n}: ${s.name}`, s })),
                { label: data.baseline_name, full: data.baseline_name, base: true }];
  const plotX = labelW + 8;
  const plotW = Math.max(60, width - plotX - 10);
  const top = 6;
  let y = top;
  const axisTicks = [0, 0.25, 0.5, 0.75, 1];
  const g = node("g", { class: "funnel-svg-top" }, svg);
  const panelH = rows.length * rowH + 8;
  for (const t of axisTicks) {
    const x = plotX + t * plotW;
    node("line", { x1: x, y1: top, x2: x, y2: top + panelH, stroke: "#d9d9d9", "stroke-width": 1 }, g);
  }
  rows.forEach((row, i) => {
    if (row.base) {
      y += 8;
      node("line", { x1: 0, y1: y - 5, x2: width, y2: y - 5, stroke: "#767676", "stroke-dasharray": "3 3" }, g);
    }
    const cy = y + rowH / 2;
    const lines = wrap(row.label, chars, 2);
    const label = multiline(g, lines, labelW, cy - ((lines.length - 1) * line) / 2 + small * 0.35, line,
                            { "text-anchor": "end", fill: "#111111", class: "funnel-svg-name" });
    node("title", {}, label, row.full);
    const barH = Math.min(rowH - 8, presenter ? 34 : 24);
    const by = cy - barH / 2;
    if (row.base) {
      const w = data.baseline * plotW;
      node("rect", { x: plotX, y: by, width: Math.max(w, 0), height: barH, fill: `url(#${id}-baseline)` }, g);
      node("text", { x: plotX + Math.min(w, plotW * 0.55) + 6, y: cy + small * 0.35, fill: "#111111",
                     "font-weight": 700 }, g, data.baseline_label);
    } else {
      const s = row.s;
      const parts = [[s.yes, c.yes], [s.drifted, c.drifted], [s.declined, `url(#${id}-declined)`]];
      let x = plotX;
      for (const [share, fill] of parts) {
        const w = Math.max(share * plotW, 0);
        node("rect", { x, y: by, width: w, height: barH, fill }, g);
        x += w;
      }
      const inside = s.yes * plotW > s.yes_text.length * small * 0.62 + 12;
      if (inside) {
        node("text", { x: plotX + 6, y: cy + small * 0.35, fill: "#ffffff", "font-weight": 700 }, g, s.yes_text);
      } else {
        const tx = plotX + s.yes * plotW + 4;
        const tw = s.yes_text.length * small * 0.62 + 8;
        node("rect", { x: tx - 2, y: cy - small * 0.75, width: tw, height: small * 1.5, fill: "#ffffff",
                       opacity: 0.92, rx: 3 }, g);
        node("text", { x: tx + 2, y: cy + small * 0.35, fill: "#111111", "font-weight": 700 }, g, s.yes_text);
      }
    }
    y += rowH;
  });
  y += 4;
  for (const t of axisTicks) {
    const x = plotX + t * plotW;
    node("text", { x, y: y + small, "text-anchor": t === 0 ? "start" : t === 1 ? "end" : "middle", fill: "#333333" },
         g, `${Math.round(t * 100)}%`);
  }
  y += small + line;
  node("text", { x: plotX + plotW / 2, y, "text-anchor": "middle", fill: "#333333" }, g, "share of the whole audience");
  y += line;

  // bottom panel ----------------------------------------------------------------------------
  const sub = node("text", { x: 0, y: y + font, "font-size": font + 1, "font-weight": 700, fill: "#111111" }, svg,
                   data.ladder_title);
  sub.setAttribute("class", "funnel-svg-subtitle");
  y += font + 8;
  const legend2 = node("g", { class: "funnel-svg-ladder-legend" }, svg);
  const items = [
    [c.ask, null, "ask (fits)"], [null, "resistance", "too big (▲)"], [null, "stagnation", "too small (▼)"],
    ["line", null, "readiness of people arriving"], ["band", null, "asks that fit"],
  ];
  let lx = 0;
  let ly = y + small;
  for (const [colour, pattern, text] of items) {
    const w = 24 + text.length * small * 0.56;
    if (lx + w > width) { lx = 0; ly += line + 4; }
    if (colour === "line") {
      node("line", { x1: lx, y1: ly - small * 0.35, x2: lx + 18, y2: ly - small * 0.35, stroke: c.readiness,
                     "stroke-width": 3 }, legend2);
      node("circle", { cx: lx + 9, cy: ly - small * 0.35, r: 3.5, fill: c.readiness }, legend2);
    } else if (colour === "band") {
      node("rect", { x: lx, y: ly - small * 0.85, width: 18, height: small, fill: c.fit, opacity: 0.55 }, legend2);
    } else {
      node("rect", { x: lx, y: ly - small * 0.85, width: 18, height: small,
                     fill: pattern ? `url(#${id}-${pattern})` : colour, stroke: "#333", "stroke-width": 0.6 }, legend2);
    }
    node("text", { x: lx + 22, y: ly, fill: "#111111" }, legend2, text);
    lx += w + 12;
  }
  y = ly + line;
  const axisW = presenter ? 44 : 32;
  const lx0 = axisW + 6;
  const lw = Math.max(60, width - lx0 - 6);
  const lh = presenter ? 230 : 180;
  node("text", { x: 0, y: y + small * 0.5, fill: "#333333" }, svg, "0–10 scale");
  const ytop = y + small + 10;
  const ymax = data.ymax;
  const sy = (v) => ytop + lh - (v / ymax) * lh;
  const gl = node("g", { class: "funnel-svg-ladder" }, svg);
  for (let v = 0; v <= ymax; v += ymax > 12 ? 4 : 2) {
    node("line", { x1: lx0, y1: sy(v), x2: lx0 + lw, y2: sy(v), stroke: "#e3e3e3" }, gl);
    node("text", { x: lx0 - 6, y: sy(v) + small * 0.35, "text-anchor": "end", fill: "#333333" }, gl, String(v));
  }
  const slot = lw / steps.length;
  const barW = Math.min(Math.max(4, slot * 0.56), 70);
  const bandW = Math.min(slot * 0.84, 120);
  const points = [];
  steps.forEach((s, i) => {
    const cx = lx0 + slot * (i + 0.5);
    node("rect", { x: cx - bandW / 2, y: sy(s.high), width: bandW, height: Math.max(sy(s.low) - sy(s.high), 0),
                   fill: c.fit, opacity: 0.55 }, gl);
    const fill = s.flag === "resistance" ? `url(#${id}-resistance)` : s.flag === "stagnation"
      ? `url(#${id}-stagnation)` : c.ask;
    const bar = node("rect", { x: cx - barW / 2, y: sy(s.ask), width: barW, height: Math.max(sy(0) - sy(s.ask), 0),
                               fill, stroke: "#111111", "stroke-width": 0.8, class: `funnel-svg-ask funnel-svg-${s.flag || "fits"}` }, gl);
    node("title", {}, bar, `Step ${s.n}: ask ${s.ask}, readiness ${s.readiness_text}${s.flag_text ? ", " + s.flag_text : ""}`);
    if (s.readiness !== null) points.push([cx, sy(s.readiness)]);
    node("text", { x: cx, y: ytop + lh + small + 4, "text-anchor": "middle", fill: "#111111" }, gl,
         `${s.n}${s.flag === "resistance" ? " ▲" : s.flag === "stagnation" ? " ▼" : ""}`);
  });
  if (points.length) {
    node("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: c.readiness,
                       "stroke-width": 2.5 }, gl);
    for (const [px, py] of points) node("circle", { cx: px, cy: py, r: presenter ? 5 : 4, fill: c.readiness }, gl);
  }
  node("line", { x1: lx0, y1: sy(0), x2: lx0 + lw, y2: sy(0), stroke: "#333333" }, gl);
  node("text", { x: lx0 + lw / 2, y: ytop + lh + small + line + 6, "text-anchor": "middle", fill: "#333333" }, gl,
       "step number (▲ too big, ▼ too small)");
  finish(root, svg, data, width, ytop + lh + small + line + 14, small);
}

// -- the duel's chart: the share still in each funnel after every step -----------------------
function drawDuel(root, data, width, presenter, id) {
  const font = presenter ? 20 : 13;
  const small = presenter ? 19 : 12;
  const line = Math.round(small * 1.25);
  const heading = html("div", { class: "funnel-svg-heading", "aria-hidden": "true" }, root, data.title);
  heading.style.fontSize = `${font + 2}px`;
  legend(root, data.lines.map((l) => ({ line: true, colour: l.colour, dash: l.dash, label: l.label })), id);
  const svg = chartSvg(data, id, small);
  const endW = Math.round(small * 8.2);
  const x0 = presenter ? 56 : 44;
  const w = Math.max(80, width - x0 - endW);
  const h = presenter ? 260 : 200;
  const y0 = 10;
  const longest = Math.max(1, ...data.lines.map((l) => l.points.length - 1));
  const sx = (k) => x0 + (k / longest) * w;
  const sy = (v) => y0 + h - v * h;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    node("line", { x1: x0, y1: sy(v), x2: x0 + w, y2: sy(v), stroke: "#e3e3e3" }, svg);
    node("text", { x: x0 - 6, y: sy(v) + small * 0.35, "text-anchor": "end", fill: "#333333" }, svg,
         `${Math.round(v * 100)}%`);
  }
  for (let k = 0; k <= longest; k++) {
    node("text", { x: sx(k), y: y0 + h + small + 4, "text-anchor": "middle", fill: "#333333" }, svg, String(k));
  }
  const ends = [];
  for (const l of data.lines) {
    let d = "";
    l.points.forEach((v, k) => {
      d += k === 0 ? `M${sx(0)},${sy(v)}` : `H${sx(k)}V${sy(v)}`;
    });
    node("path", { d, fill: "none", stroke: l.colour, "stroke-width": 3, "stroke-dasharray": l.dash || null }, svg);
    l.points.forEach((v, k) => node("circle", { cx: sx(k), cy: sy(v), r: presenter ? 5 : 4, fill: l.colour }, svg));
    ends.push([sx(l.points.length - 1), sy(l.points[l.points.length - 1]), l]);
  }
  if (ends.length === 2 && Math.abs(ends[0][1] - ends[1][1]) < line) {
    const up = ends[0][1] <= ends[1][1] ? 0 : 1;
    ends[up][1] -= line / 2;
    ends[1 - up][1] += line / 2;
  }
  for (const [ex, ey, l] of ends) {
    node("text", { x: ex + 8, y: ey + small * 0.35, fill: l.text_colour, "font-weight": 700 }, svg, l.end_label);
  }
  node("line", { x1: x0, y1: sy(0), x2: x0 + w, y2: sy(0), stroke: "#333333" }, svg);
  node("text", { x: x0 + w / 2, y: y0 + h + small + line + 6, "text-anchor": "middle", fill: "#333333" }, svg,
       "step number (0 = start); height = share still in the funnel");
  finish(root, svg, data, width, y0 + h + small + line + 14, small);
}

// -- accessible names and states for the surrounding ipywidgets controls --------------------
// Python gives a control whose own label is not enough (a slider handle has none; "Up" is in
// every row) the class "funnel-aria--Step_2_ask"; its name becomes the control's aria-label.
const NAMED = "input, select, textarea, button, .noUi-handle";
const PREFIX = "funnel-aria--";

function labelControls(root) {
  for (const widget of root.querySelectorAll(`[class*="${PREFIX}"]`)) {
    const cls = [...widget.classList].find((c) => c.startsWith(PREFIX));
    const name = cls.slice(PREFIX.length).replace(/_/g, " ");
    const controls = widget.matches(NAMED) ? [widget] : widget.querySelectorAll(NAMED);
    for (const control of controls) {
      if (control.getAttribute("aria-label") !== name) control.setAttribute("aria-label", name);
    }
    for (const readout of widget.querySelectorAll(".widget-readout")) {
      if (readout.getAttribute("aria-label") !== `${name} value`) readout.setAttribute("aria-label", `${name} value`);
    }
  }
  showInFull(root);
  // toggle buttons (audience, export, presenter mode) expose their state
  for (const button of root.querySelectorAll(".widget-toggle-button")) {
    const pressed = button.classList.contains("mod-active") ? "true" : "false";
    if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
  }
  for (const group of root.querySelectorAll(".widget-toggle-buttons")) {
    if (group.getAttribute("role") !== "group") group.setAttribute("role", "group");
    const label = group.querySelector(".widget-label");
    if (label && label.textContent && group.getAttribute("aria-label") !== label.textContent) {
      group.setAttribute("aria-label", label.textContent);
    }
  }
}

// Text boxes and menus too narrow for a long name show it in full on hover (title).
function showInFull(root) {
  for (const field of root.querySelectorAll("input[type=text], select")) {
    const text = field.tagName === "SELECT" ? (field.selectedOptions[0]?.textContent || "") : field.value;
    if (field.title !== text) field.title = text;
  }
}

const watched = new WeakSet();

function watch(el) {
  let tries = 0;
  const attach = () => {
    const root = el.closest(".funnel-builder, .funnel-duel");
    if (!root) {
      if (tries++ < 200) setTimeout(attach, 50);
      return;
    }
    if (watched.has(root)) return;
    watched.add(root);
    let queued = false;
    const run = () => { queued = false; labelControls(root); };
    new MutationObserver(() => {
      if (!queued) { queued = true; requestAnimationFrame(run); }
    }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
    for (const type of ["input", "change", "focusin"]) root.addEventListener(type, () => showInFull(root));
    run();
  };
  attach();
}

function render({ model, el }) {
  const id = `funnel-svg-${++uid}`;
  el.classList.add("funnel-svg-chart");
  const box = document.createElement("div");
  box.className = "funnel-svg-box";
  el.appendChild(box);
  let width = 0;
  const draw = () => {
    const data = model.get("data") || {};
    const presenter = Boolean(model.get("presenter"));
    const w = Math.max(280, Math.floor(width || el.clientWidth || 560));
    const next = document.createElement("div");
    next.className = "funnel-svg-box";
    if (presenter) next.classList.add("funnel-svg-presenter");
    if (model.get("kind") === "duel") drawDuel(next, data, w, presenter, id);
    else drawFunnel(next, data, w, presenter, id);
    const open = box.querySelector("details")?.open;
    if (open) next.querySelector("details")?.setAttribute("open", "");
    box.replaceChildren(...next.childNodes);
    box.className = next.className;
    el.dataset.revision = String(model.get("revision"));
  };
  const resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (w > 0 && Math.abs(w - width) >= 4) { width = w; draw(); }
  });
  resize.observe(el);
  model.on("change:data", draw);
  model.on("change:presenter", draw);
  draw();
  watch(el);
  return () => { resize.disconnect(); model.off("change:data", draw); model.off("change:presenter", draw); };
}

export default { render };
