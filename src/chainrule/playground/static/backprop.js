// The Backprop tab: an expression's graph as the server traced it with chainrule, laid out
// in layers (computed here from each node's inputs), then walked through as a lecturer
// does on the board: forward node by node (the values appear), then backward edge by edge,
// each edge showing upstream × local = contribution.

import { t } from "./i18n.js";
import { fmt } from "./maps.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 124, NODE_H = 62, COL_GAP = 250, ROW_GAP = 100, MARGIN = 30;
const SYMBOLS = { add: "+", sub: "−", mul: "×", div: "÷", neg: "−", pow: "^" };
const DEFAULT_PRESETS = [
  { expression: "(x + y) * z", at: { x: 3, y: -4, z: 5 } },
  { expression: "sigmoid(t0 + t1*x)", at: { x: 1, t0: -3, t1: 3 } },
];

/** A value from cr.inspect's JSON: a number, "nan"/"inf", or a summary of a tensor. */
export function showValue(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" || typeof v === "string") return fmt(v, 4);
  if (v.values) return `[${v.values.map((x) => fmt(x, 4)).join(", ")}]`;
  if (v.jacobian) return `J[${v.jacobian.join("×")}]`;
  if ("mean" in v) return t("mean {m}", { m: fmt(v.mean, 3) });
  return "…";
}

/** Column (depth) of every node: an op one right of its deepest input, a leaf just left of
 *  the first op that uses it, so inputs sit next to where they are used. */
export function layered(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map();
  for (const n of nodes) {      // nodes come in forward order: inputs before their users
    const ps = n.parents || [];
    depth.set(n.id, ps.length ? 1 + Math.max(...ps.map((p) => depth.get(p) ?? 0)) : 0);
  }
  const users = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) for (const p of n.parents || []) users.get(p)?.push(n.id);
  for (const n of nodes) {
    if ((n.parents || []).length) continue;
    const us = users.get(n.id);
    if (us.length) depth.set(n.id, Math.min(...us.map((u) => depth.get(u))) - 1);
  }
  // order inside each column by the mean row of the neighbours already placed
  const columns = [];
  for (const n of nodes) (columns[depth.get(n.id)] ||= []).push(n.id);
  const row = new Map();
  const place = (ids, key) => {
    ids.sort((a, b) => key(a) - key(b) || a - b);
    ids.forEach((id, i) => row.set(id, i - (ids.length - 1) / 2));
  };
  const mean = (ids) => (ids.length ? ids.reduce((s, i) => s + (row.get(i) ?? 0), 0) / ids.length : 0);
  for (const ids of columns) if (ids) place(ids, (id) => mean(byId.get(id).parents || []));
  for (let c = columns.length - 1; c >= 0; c--) {
    const ids = columns[c];
    if (ids && c < columns.length - 1) place(ids, (id) => mean(users.get(id)));
  }
  return { depth, row, width: columns.length, height: Math.max(...columns.map((c) => (c ? c.length : 0))) };
}

export class Backprop {
  constructor(send, els) {
    this.send = send;
    this.els = els;
    this.presets = DEFAULT_PRESETS;
    this.graph = null;
    this.steps = [];
    this.done = 0;
    els.preset.addEventListener("change", () => this.usePreset());
    els.build.addEventListener("click", () => this.request());
    els.expression.addEventListener("keydown", (e) => { if (e.key === "Enter") this.request(); });
    els.values.addEventListener("keydown", (e) => { if (e.key === "Enter") this.request(); });
    els.expression.addEventListener("input", () => { els.preset.value = "custom"; });
    els.next.addEventListener("click", () => this.go(this.done + 1));
    els.prev.addEventListener("click", () => this.go(this.done - 1));
    els.all.addEventListener("click", () => this.go(this.steps.length));
    els.restart.addEventListener("click", () => this.go(0));
    this.usePreset(false);
  }

  setPresets(presets) {
    if (!presets || !presets.length) return;
    this.presets = presets;
    const keep = this.els.preset.value;
    const custom = this.els.preset.querySelector('option[value="custom"]');
    this.els.preset.replaceChildren(...presets.map((p, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = p.expression;
      return o;
    }), custom);
    this.els.preset.value = keep in presets || keep === "custom" ? keep : "0";
  }

  usePreset(request = true) {
    const p = this.presets[Number(this.els.preset.value)];
    if (!p) return;
    this.els.expression.value = p.expression;
    this.els.values.value = Object.entries(p.at).map(([k, v]) => `${k}=${v}`).join(", ");
    if (request) this.request();
  }

  /** Ask the server to trace the expression at the values. */
  request() {
    const at = {};
    for (const part of this.els.values.value.split(/[,;]+/).map((s) => s.trim()).filter(Boolean)) {
      const m = part.match(/^([A-Za-z_]\w*)\s*=\s*(\S+)$/);
      if (!m || !Number.isFinite(Number(m[2]))) {
        this.error(t("Write the values as name=number, for example x=3, y=-4 (got {part}).", { part }));
        return;
      }
      at[m[1]] = Number(m[2]);
    }
    this.error(null);
    this.send({ type: "graph", expression: this.els.expression.value, at });
  }

  error(message) {
    this.els.error.hidden = !message;
    this.els.error.textContent = message || "";
  }

  /** A `graph` message: lay it out and start at the beginning of the forward pass. */
  show(msg) {
    this.error(null);
    this.graph = msg;
    this.byId = new Map(msg.nodes.map((n) => [n.id, n]));
    const forward = msg.forward || msg.nodes.map((n) => n.id);
    const backward = msg.backward || msg.edges || [];
    this.steps = [...forward.map((id) => ({ kind: "forward", id })), { kind: "seed" },
      ...backward.map((e) => ({ kind: "backward", edge: e }))];
    this.layout = layered(msg.nodes);
    this.done = 0;
    this.render();
  }

  go(n) {
    if (!this.graph) return;
    this.done = Math.max(0, Math.min(this.steps.length, n));
    this.render();
  }

  /** How a node is named in the explanations. */
  name(id) {
    const n = this.byId.get(id);
    if (!n) return `#${id}`;
    if (n.kind === "variable") return n.label;
    if (n.kind === "constant" || !n.op) return showValue(n.value);
    return `${n.op} #${id}`;
  }

  /** The forward formula of a node: mul #4 = t1 × x = 3 × 1 = 3. */
  formula(n) {
    const ps = (n.parents || []).map((p) => this.byId.get(p));
    const sym = SYMBOLS[n.op];
    let names, values;
    if (sym && ps.length === 2) {
      names = `${this.name(ps[0].id)} ${sym} ${this.name(ps[1].id)}`;
      values = `${showValue(ps[0].value)} ${sym} ${showValue(ps[1].value)}`;
    } else {
      names = `${n.op}(${ps.map((p) => this.name(p.id)).join(", ")})`;
      values = `${n.op}(${ps.map((p) => showValue(p.value)).join(", ")})`;
    }
    return `${this.name(n.id)} = ${names} = ${values} = ${showValue(n.value)}`;
  }

  describe(step) {
    if (step.kind === "forward") {
      const n = this.byId.get(step.id);
      if (!n.parents || !n.parents.length) {
        return n.kind === "variable"
          ? t("Forward: the input {name} = {value}.", { name: n.label, value: showValue(n.value) })
          : t("Forward: the constant {value}.", { value: showValue(n.value) });
      }
      return t("Forward: {formula}.", { formula: this.formula(n) });
    }
    if (step.kind === "seed") {
      return t("Backward: start at the output with ∂L/∂L = 1 (the seed).");
    }
    const e = step.edge;
    return t("Backward along {out} → {inp}: upstream {up} × local derivative {loc} = {c}, added to the gradient of {inp}.", {
      out: this.name(e.output), inp: this.name(e.input), up: showValue(e.upstream),
      loc: showValue(e.local), c: showValue(e.contribution),
    });
  }

  /** Draw the graph as it stands after `done` steps. */
  render() {
    const { svg, phase, explain, log } = this.els;
    const g = this.graph;
    const { depth, row, width, height } = this.layout;
    const seen = new Set(), grads = new Map(), doneEdges = [];
    let seeded = false, current = null;
    this.steps.slice(0, this.done).forEach((s) => {
      if (s.kind === "forward") seen.add(s.id);
      else if (s.kind === "seed") { seeded = true; grads.set(g.root, [1]); }
      else {
        doneEdges.push(s.edge);
        const c = typeof s.edge.contribution === "number" ? s.edge.contribution : NaN;
        (grads.get(s.edge.input) || grads.set(s.edge.input, []).get(s.edge.input)).push(c);
      }
    });
    if (this.done > 0) current = this.steps[this.done - 1];
    const pos = (id) => ({
      x: MARGIN + depth.get(id) * COL_GAP,
      y: MARGIN + ((height - 1) / 2 + row.get(id)) * ROW_GAP,
    });
    const W = MARGIN * 2 + (width - 1) * COL_GAP + NODE_W, H = MARGIN * 2 + (height - 1) * ROW_GAP + NODE_H + 20;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    // as large as the board allows, up to 1.6 times the natural size
    const room = svg.parentElement.clientWidth - 32;
    const scale = Math.max(0.85, Math.min(1.6, room / W));      // below that: scroll
    svg.setAttribute("width", Math.round(W * scale));
    svg.setAttribute("height", Math.round(H * scale));
    svg.replaceChildren(defs());
    const el = (tag, attrs, text) => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    // edges: input -> output; the ones the backward pass has crossed carry their numbers
    for (const n of g.nodes) {
      (n.parents || []).forEach((p, slot) => {
        const a = pos(p), b = pos(n.id), k = (n.parents.length > 1 && n.parents[0] === n.parents[1]) ? (slot ? 14 : -14) : 0;
        const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2 + k, x2 = b.x, y2 = b.y + NODE_H / 2 + k;
        const crossed = doneEdges.find((e) => e.output === n.id && e.input === p && (e.slot ?? slot) === slot);
        const isCurrent = current && current.kind === "backward" && current.edge === crossed;
        const fwdCurrent = current && current.kind === "forward" && current.id === n.id;
        const cls = `edge${crossed ? " back" : ""}${isCurrent ? " current" : ""}${fwdCurrent ? " fwd" : ""}`;
        const mx = (x1 + x2) / 2;
        svg.append(el("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}`, class: cls, "marker-end": "url(#arrow)" }));
        if (crossed) {
          const label = `${showValue(crossed.upstream)} × ${showValue(crossed.local)} = ${showValue(crossed.contribution)}`;
          svg.append(el("text", { ...labelSpot(x1, y1, x2, y2), class: `edge-label${isCurrent ? " current" : ""}` }, label));
        }
      });
    }
    // nodes
    for (const n of g.nodes) {
      const { x, y } = pos(n.id);
      const isCur = current && ((current.kind === "forward" && current.id === n.id) ||
        (current.kind === "seed" && n.id === g.root) || (current.kind === "backward" && current.edge.input === n.id));
      const gEl = el("g", { class: `node ${n.kind}${seen.has(n.id) ? " known" : ""}${isCur ? " current" : ""}`, transform: `translate(${x},${y})` });
      gEl.append(el("rect", { width: NODE_W, height: NODE_H, rx: 10 }));
      const title = n.kind === "op" ? (SYMBOLS[n.op] ? `${SYMBOLS[n.op]}  (${n.op})` : n.op) : n.kind === "variable" ? n.label : showValue(n.value);
      gEl.append(el("text", { x: NODE_W / 2, y: 20, class: "node-title", "text-anchor": "middle" }, title));
      if (seen.has(n.id)) {
        gEl.append(el("text", { x: NODE_W / 2, y: 38, class: "node-value", "text-anchor": "middle" }, `= ${showValue(n.value)}`));
      }
      const gs = grads.get(n.id);
      if (gs) {
        const total = gs.reduce((a, b) => a + b, 0);
        const text = gs.length > 1 ? `${gs.map((v) => fmt(v, 3)).join(" + ")} = ${fmt(total, 4)}` : fmt(total, 4);
        const who = n.kind === "variable" ? n.label : `#${n.id}`;
        gEl.append(el("text", { x: NODE_W / 2, y: 55, class: "node-grad", "text-anchor": "middle" }, `∂L/∂${who} = ${text}`));
      }
      svg.append(gEl);
    }
    // the phase and the board
    const nf = this.steps.findIndex((s) => s.kind === "seed");
    phase.textContent = this.done <= nf
      ? t("Forward pass: step {i} of {n}", { i: this.done, n: nf })
      : t("Backward pass: step {i} of {n}", { i: this.done - nf, n: this.steps.length - nf });
    explain.textContent = current ? this.describe(current)
      : t("Press “Next step” to compute the values from the inputs forward.");
    if (this.done === this.steps.length && this.steps.length) {
      const grads = Object.entries(g.gradients || {}).map(([k, v]) => `∂L/∂${k} = ${showValue(v)}`).join(", ");
      explain.textContent += " " + t("Done: {grads}.", { grads });
    }
    log.replaceChildren(...this.steps.slice(0, this.done).map((s) => {
      const li = document.createElement("li");
      li.textContent = this.describe(s);
      li.className = s.kind;
      return li;
    }));
    log.scrollTop = log.scrollHeight;
    this.els.prev.disabled = this.done === 0;
    this.els.next.disabled = this.done === this.steps.length;
    this.els.all.disabled = this.done === this.steps.length;
  }
}

/** Where an edge's label goes: next to the edge's input end, where the curve still runs
 *  level, on the side it does not turn to (below a rising edge, above the others), as a
 *  lecturer writes the gradient under the arrow into the input. */
function labelSpot(x1, y1, x2, y2) {
  return y2 < y1 - 12 ? { x: x1 + 8, y: y1 + 16, "text-anchor": "start" }
    : { x: x1 + 8, y: y1 - 7, "text-anchor": "start" };
}

function defs() {
  const d = document.createElementNS(SVG, "defs");
  d.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker>';
  return d;
}
