// The network drawing: columns features | hidden layers | output, a small map per neuron,
// edges coloured by the weight's sign and as wide as its size. Everything drawn comes from
// the server's latest `state` (and the `data` message's feature maps). When the server
// leaves out neurons or weights (a big network), the drawing shows plain nodes and one
// summary band per weight layer; columns get compact and the panel scrolls.

import { t } from "./i18n.js";
import { decode, valuesImage, drawImageData, fitCanvas, valueColour, CLASS_COLOURS } from "./maps.js";

/** The input features in TF Playground's order: [hash name, label]. */
export const FEATURES = [["x", "x₁"], ["y", "x₂"], ["xTimesY", "x₁x₂"], ["xSquared", "x₁²"],
  ["ySquared", "x₂²"], ["sinX", "sin(x₁)"], ["sinY", "sin(x₂)"]];

const HEADER = 46;      // room above the hidden columns for the +/- buttons
const LABEL_W = 58;     // room left of the feature column for the labels

const gapFor = (s) => (s >= 20 ? 10 : s >= 12 ? 4 : 2);

export class NetView {
  /** els: {scroll, inner, canvas, overlay}; actions: {toggleFeature(name),
   *  changeNeurons(layer, delta)} (layer counts hidden layers from 0). */
  constructor(els, actions) {
    this.els = els;
    this.actions = actions;
    this.key = "";
    this.geo = null;
    this.limits = { maxNeurons: 64 };
  }

  /** Sizes of the columns: all features, the hidden layers, the output. */
  columns(state, config, numClasses) {
    const hidden = state && state.layers ? state.layers.slice(1, -1) : (config.networkShape || []);
    const out = state && state.layers ? state.layers[state.layers.length - 1] : (numClasses > 2 ? numClasses : 1);
    return { hidden, out };
  }

  layout(state, config, numClasses) {
    const { hidden, out } = this.columns(state, config, numClasses);
    const availW = this.els.scroll.clientWidth, availH = this.els.scroll.clientHeight;
    const key = JSON.stringify([hidden, out, availW, availH, config.skip,
      FEATURES.map(([f]) => !!config[f]), this.limits, !!(state && state.neurons)]);
    if (key === this.key) return this.geo;
    this.key = key;
    const maxN = Math.max(...hidden, out, 1);
    let s = 32;
    while (s > 6 && HEADER + maxN * (s + gapFor(s)) + 32 > availH) s--;
    const cols = [];
    // the features keep a readable size; hidden columns shrink with their width
    const fs = Math.max(Math.min(s, 28), 18);
    cols.push({ kind: "features", size: fs, gap: gapFor(fs), n: FEATURES.length });
    hidden.forEach((n, l) => cols.push({ kind: "hidden", layer: l, size: s, gap: gapFor(s), n }));
    const os = out === 1 ? Math.max(s, 24) : s;
    cols.push({ kind: "output", size: os, gap: gapFor(os), n: out });
    const nCols = cols.length;
    const room = availW - LABEL_W - os - 24;
    const colW = Math.max(s + 16, 22, Math.min(150, room / (nCols - 1)));
    let x = LABEL_W;
    for (const c of cols) {
      c.x = x;
      x += colW;
      c.nodes = Array.from({ length: c.n }, (_, i) => ({ x: c.x, y: HEADER + i * (c.size + c.gap) }));
      c.bottom = HEADER + c.n * (c.size + c.gap) - c.gap;
    }
    const width = Math.max(availW, cols[nCols - 1].x + os + 24);
    const height = Math.max(availH, Math.max(...cols.map((c) => c.bottom)) + 32);
    this.geo = { cols, colW, width, height, s };
    this.buildOverlay(config);
    return this.geo;
  }

  /** The HTML over the canvas: feature toggles, +/- neuron buttons per hidden layer. */
  buildOverlay(config) {
    const { cols, colW, width, height } = this.geo;
    const ov = this.els.overlay;
    ov.replaceChildren();
    this.els.inner.style.width = `${width}px`;
    this.els.inner.style.height = `${height}px`;
    const feat = cols[0];
    FEATURES.forEach(([name, label], i) => {
      const node = feat.nodes[i];
      const b = document.createElement("button");
      b.className = "feature" + (config[name] ? " on" : "");
      b.dataset.feature = name;
      b.setAttribute("aria-pressed", config[name] ? "true" : "false");
      b.title = t("Turn this input feature on or off");
      b.style.left = `${node.x - LABEL_W + 4}px`;
      b.style.top = `${node.y}px`;
      b.style.width = `${LABEL_W - 4 + feat.size}px`;
      b.style.height = `${feat.size}px`;
      const span = document.createElement("span");
      span.textContent = label;
      span.style.width = `${LABEL_W - 10}px`;
      b.append(span);
      b.addEventListener("click", () => this.actions.toggleFeature(name));
      ov.append(b);
    });
    for (const c of cols) {
      if (c.kind !== "hidden") continue;
      const head = document.createElement("div");
      head.className = "layer-head" + (colW < 60 ? " compact" : "");
      head.style.left = `${c.x + c.size / 2 - colW / 2}px`;
      head.style.width = `${colW}px`;
      const plus = document.createElement("button");
      plus.className = "round tiny";
      plus.textContent = "+";
      plus.title = t("Add a neuron");
      plus.setAttribute("aria-label", plus.title);
      plus.disabled = c.n >= (this.limits.maxNeurons || 64);
      plus.addEventListener("click", () => this.actions.changeNeurons(c.layer, +1));
      const minus = document.createElement("button");
      minus.className = "round tiny";
      minus.textContent = "−";
      minus.title = t("Remove a neuron");
      minus.setAttribute("aria-label", minus.title);
      minus.disabled = c.n <= 1;
      minus.addEventListener("click", () => this.actions.changeNeurons(c.layer, -1));
      const count = document.createElement("div");
      count.className = "count";
      count.textContent = colW < 60 ? String(c.n) : c.n === 1 ? t("1 neuron") : t("{n} neurons", { n: c.n });
      count.title = t("{n} neurons", { n: c.n });
      if (colW < 60) head.append(plus, count, minus);     // compact: a narrow stack
      else {
        const btns = document.createElement("div");
        btns.append(plus, minus);
        head.append(btns, count);
      }
      ov.append(head);
    }
  }

  /** Draw the latest state. data may carry featureMaps; heatmapImage is the output map. */
  draw(state, data, config, heatmapImage) {
    const numClasses = (data && data.numClasses) || 2;
    const geo = this.layout(state, config, numClasses);
    const [ctx, w, h] = fitCanvas(this.els.canvas, geo.width, geo.height);
    ctx.clearRect(0, 0, w, h);
    this.drawEdges(ctx, state, config);
    if (config.skip) this.drawSkips(ctx);
    this.drawFeatures(ctx, data, config);
    this.drawHidden(ctx, state);
    this.drawOutputNodes(ctx, numClasses, heatmapImage);
  }

  /** Column index of each row of the first weight matrix (the active features). */
  featureRows(state, config) {
    const names = (state && state.features) || FEATURES.map(([f]) => f).filter((f) => config[f]);
    return names.map((n) => FEATURES.findIndex(([f]) => f === n));
  }

  /** Edges coloured by the weight's sign, as wide as its size. They are sorted into a few
   *  bins of sign and size, one path per bin: a canvas state change per edge would make a
   *  16 x 16 network's four thousand edges cost a frame. */
  drawEdges(ctx, state, config) {
    const { cols } = this.geo;
    const rows0 = this.featureRows(state, config);
    const LEVELS = 8;                                  // size bins per sign; |w| >= 1 is full
    for (let k = 0; k + 1 < cols.length; k++) {
      const a = cols[k], b = cols[k + 1];
      const from = k === 0 ? rows0 : a.nodes.map((_, i) => i);
      const W = state && state.weights ? state.weights[k] : null;
      if (!W || from.some((i) => i < 0)) {
        this.drawBand(ctx, a, b, from);
        continue;
      }
      const bins = Array.from({ length: 2 * LEVELS }, () => new Path2D());
      from.forEach((ai, r) => {
        const p = a.nodes[ai];
        const x1 = p.x + a.size, y1 = p.y + a.size / 2;
        (W[r] || []).forEach((wv, j) => {
          const q = b.nodes[j];
          if (!q || wv === null) return;
          const x2 = q.x, y2 = q.y + b.size / 2, mx = (x1 + x2) / 2;
          const level = Math.min(LEVELS - 1, Math.floor(Math.abs(wv) * LEVELS));
          const path = bins[(wv < 0 ? 0 : LEVELS) + level];
          path.moveTo(x1, y1);
          path.bezierCurveTo(mx, y1, mx, y2, x2, y2);
        });
      });
      const maxW = Math.max(1.5, b.size / 5);
      bins.forEach((path, i) => {
        const sign = i < LEVELS ? -1 : 1, m = ((i % LEVELS) + 0.5) / LEVELS;
        ctx.strokeStyle = valueColour(sign * m, 0.3 + 0.7 * m);
        ctx.lineWidth = Math.max(0.4, maxW * 0.6 * m * (i % LEVELS === LEVELS - 1 ? 1.6 : 1));
        ctx.stroke(path);
      });
    }
  }

  /** A weight layer whose weights the server left out: one translucent band. */
  drawBand(ctx, a, b, rows) {
    const ys = rows.filter((i) => i >= 0).map((i) => a.nodes[i].y);
    if (!ys.length) return;
    const y1 = Math.min(...ys), y2 = Math.max(...ys) + a.size;
    const x1 = a.x + a.size, x2 = b.x;
    ctx.fillStyle = "rgba(110,110,120,0.16)";
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, HEADER);
    ctx.lineTo(x2, b.bottom);
    ctx.lineTo(x1, y2);
    ctx.closePath();
    ctx.fill();
  }

  /** Residual connections: a dashed arc under every hidden layer whose input has its width
   *  (the server's rule: hidden layers after the first, equal widths). */
  drawSkips(ctx) {
    const { cols } = this.geo;
    ctx.save();
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "#2ca02c";
    ctx.lineWidth = 1.5;
    ctx.fillStyle = "#2ca02c";
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    for (let k = 1; k < cols.length - 1; k++) {
      const a = cols[k - 1], b = cols[k];
      if (a.kind !== "hidden" || a.n !== b.n) continue;
      const x1 = a.x + a.size / 2, x2 = b.x + b.size / 2, y = Math.max(a.bottom, b.bottom) + 4;
      ctx.beginPath();
      ctx.moveTo(x1, y);
      ctx.quadraticCurveTo((x1 + x2) / 2, y + 16, x2, y);
      ctx.stroke();
      ctx.fillText("+", (x1 + x2) / 2, y + 20);
    }
    ctx.restore();
  }

  drawFeatures(ctx, data, config) {
    const c = this.geo.cols[0];
    const names = (data && data.features) || [];
    const maps = (data && data.featureMaps) || [];
    const m = (data && data.neuronSize) || 20;
    FEATURES.forEach(([name], i) => {
      const p = c.nodes[i];
      const k = names.indexOf(name);
      ctx.globalAlpha = config[name] ? 1 : 0.3;
      if (k >= 0 && maps[k]) {
        if (!this.featureImages || this.featureImages.source !== data) {
          this.featureImages = { source: data, images: maps.map((b) => valuesImage(decode(b), m, false)) };
        }
        drawImageData(ctx, this.featureImages.images[k], p.x, p.y, c.size, c.size);
      } else {
        ctx.fillStyle = "#e8eaeb";
        ctx.fillRect(p.x, p.y, c.size, c.size);
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = config[name] ? "#555" : "#bbb";
      ctx.lineWidth = 1;
      ctx.strokeRect(p.x + 0.5, p.y + 0.5, c.size - 1, c.size - 1);
    });
  }

  drawHidden(ctx, state) {
    const neurons = state && state.neurons;
    const m = (state && state.neuronSize) || 20;
    const show = neurons && this.geo.s >= 8;
    for (const c of this.geo.cols) {
      if (c.kind !== "hidden") continue;
      const maps = show ? neurons[c.layer] : null;
      c.nodes.forEach((p, i) => {
        if (maps && maps[i]) {
          this.scratchImage = valuesImage(decode(maps[i]), m, false, this.scratchImage);
          drawImageData(ctx, this.scratchImage, p.x, p.y, c.size, c.size);
          ctx.strokeStyle = "#555";
          ctx.lineWidth = 1;
          ctx.strokeRect(p.x + 0.5, p.y + 0.5, c.size - 1, c.size - 1);
        } else {
          ctx.fillStyle = "#d9dde0";
          ctx.strokeStyle = "#777";
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.arc(p.x + c.size / 2, p.y + c.size / 2, c.size / 2 - 0.5, 0, 2 * Math.PI);
          ctx.fill();
          ctx.stroke();
        }
      });
    }
  }

  drawOutputNodes(ctx, numClasses, heatmapImage) {
    const c = this.geo.cols[this.geo.cols.length - 1];
    c.nodes.forEach((p, i) => {
      if (c.n === 1 && heatmapImage) {
        drawImageData(ctx, heatmapImage, p.x, p.y, c.size, c.size);
      } else {
        ctx.fillStyle = c.n > 1 ? CLASS_COLOURS[i % CLASS_COLOURS.length] : "#d9dde0";
        ctx.fillRect(p.x, p.y, c.size, c.size);
      }
      ctx.strokeStyle = "#333";
      ctx.lineWidth = 1;
      ctx.strokeRect(p.x + 0.5, p.y + 0.5, c.size - 1, c.size - 1);
    });
  }

  /** Force a new layout (after a language change or a resize). */
  invalidate() { this.key = ""; }
}
