// Colours and maps: the byte maps the server sends turned into pixels, the data points,
// the loss curve and the gradient-norm bars. Nothing here computes the network: every
// number drawn comes from a server message.

import { t } from "./i18n.js";

// TF Playground's scale: -1 orange, 0 light grey, +1 blue.
const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
// One hue per class for multiclass problems (class 0 orange and 1 blue as in the binary case).
export const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#17becf",
  "#8c564b", "#e377c2"];
const CLASS_RGB = CLASS_COLOURS.map(hexToRgb);

function hexToRgb(h) {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const mix = (a, b, f) => [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * f));

// byte b encodes v = b / 127.5 - 1 (PROTOCOL.md); LUT[b] is its colour, as RGB.
const LUT = new Uint8Array(256 * 3);
for (let b = 0; b < 256; b++) {
  const v = b / 127.5 - 1;
  const c = v < 0 ? mix(MID, NEG, -v) : mix(MID, POS, v);
  LUT.set(c, b * 3);
}

/** The colour of a value in [-1, 1] as a CSS string. */
export function valueColour(v, alpha = 1) {
  const b = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  return `rgba(${LUT[b * 3]},${LUT[b * 3 + 1]},${LUT[b * 3 + 2]},${alpha})`;
}

/** base64 -> bytes, once per drawn frame. */
export function decode(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Paint an n x n byte map into an ImageData (row 0 = top). With discretize, a binary map
 *  shows only its sign. */
export function valuesImage(bytes, n, discretize, image) {
  image = image && image.width === n ? image : new ImageData(n, n);
  const px = image.data;
  for (let i = 0; i < n * n; i++) {
    let b = bytes[i];
    if (discretize) b = b >= 128 ? 255 : 0;
    px[i * 4] = LUT[b * 3]; px[i * 4 + 1] = LUT[b * 3 + 1]; px[i * 4 + 2] = LUT[b * 3 + 2];
    px[i * 4 + 3] = 255;
  }
  return image;
}

/** A multiclass map: the class (argmax) picks the hue, the confidence how strong it is. */
export function classesImage(classes, confidence, n, numClasses, discretize, image) {
  image = image && image.width === n ? image : new ImageData(n, n);
  const px = image.data;
  const floor = 1 / Math.max(2, numClasses);
  for (let i = 0; i < n * n; i++) {
    const hue = CLASS_RGB[classes[i] % CLASS_RGB.length];
    // confidence runs from 1/K (a guess) to 1 (sure); strength 0..1 over that range
    const c = confidence ? confidence[i] / 255 : 1;
    const f = discretize ? 1 : Math.max(0, Math.min(1, (c - floor) / (1 - floor)));
    const rgb = mix(MID, hue, 0.25 + 0.75 * f);
    px[i * 4] = rgb[0]; px[i * 4 + 1] = rgb[1]; px[i * 4 + 2] = rgb[2]; px[i * 4 + 3] = 255;
  }
  return image;
}

/** The heat map of a state message as an ImageData, or null. */
export function heatmapImage(heatmap, numClasses, discretize) {
  if (!heatmap || !heatmap.values) return null;
  const n = heatmap.size;
  if (heatmap.kind === "multiclass" && heatmap.classes) {
    return classesImage(decode(heatmap.classes), decode(heatmap.values), n, numClasses, discretize);
  }
  return valuesImage(decode(heatmap.values), n, discretize);
}

// A scratch canvas to scale ImageData with drawImage (putImageData cannot scale).
const scratch = document.createElement("canvas");
const scratchCtx = scratch.getContext("2d");

/** Draw an ImageData scaled into the rectangle (x, y, w, h) of ctx. */
export function drawImageData(ctx, image, x, y, w, h, smooth = true) {
  if (scratch.width !== image.width || scratch.height !== image.height) {
    scratch.width = image.width; scratch.height = image.height;
  }
  scratchCtx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(scratch, x, y, w, h);
}

/** Size a canvas to its CSS box at the screen's pixel ratio; returns [ctx, width, height]. */
export function fitCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width ?? canvas.clientWidth));
  const h = Math.max(1, Math.round(height ?? canvas.clientHeight));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  }
  if (width != null) { canvas.style.width = `${w}px`; canvas.style.height = `${h}px`; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [ctx, w, h];
}

/** The colour of a data point's label. */
export function labelColour(label, problem, numClasses) {
  if (problem === "regression") return valueColour(Math.max(-1, Math.min(1, label)));
  if (numClasses > 2) return CLASS_COLOURS[label % CLASS_COLOURS.length];
  return label >= 0.5 ? CLASS_COLOURS[1] : CLASS_COLOURS[0];
}

/** The output panel: heat map, data points (test points with a dark ring), axes. */
export function drawOutput(canvas, image, data, opts) {
  const [ctx, w, h] = fitCanvas(canvas);
  const pad = 22;                       // room for the axis ticks
  const size = Math.min(w - pad - 8, h - pad - 6);
  ctx.clearRect(0, 0, w, h);
  const x0 = pad, y0 = 6;
  if (image) drawImageData(ctx, image, x0, y0, size, size, !opts.discretize);
  else { ctx.fillStyle = "#eee"; ctx.fillRect(x0, y0, size, size); }
  if (data) {
    const [lo, hi] = data.domain || [-6, 6];
    const sx = (v) => x0 + ((v - lo) / (hi - lo)) * size;
    const sy = (v) => y0 + ((hi - v) / (hi - lo)) * size;
    const r = Math.max(2, size / 85);
    const drawSet = (points, stroke) => {
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = stroke;
      for (const [a, b, label] of points) {
        ctx.beginPath();
        ctx.arc(sx(a), sy(b), r, 0, 2 * Math.PI);
        ctx.fillStyle = labelColour(label, data.problem, data.numClasses);
        ctx.fill();
        ctx.stroke();
      }
    };
    drawSet(data.train || [], "#fff");
    if (opts.showTestData) drawSet(data.test || [], "#111");
    // axes: ticks at the domain's ends and middle
    ctx.fillStyle = "#666"; ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of [lo, lo / 2, 0, hi / 2, hi]) ctx.fillText(String(v), sx(v), y0 + size + 4);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of [lo, lo / 2, 0, hi / 2, hi]) ctx.fillText(String(v), x0 - 4, sy(v));
  }
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, size - 1, size - 1);
}

const finite = (v) => typeof v === "number" && Number.isFinite(v);

/** A number for people: 0.2345 -> "0.235", 1.2e-7 -> "1.2e-7", NaN/inf as such. */
export function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "string") return v === "nan" ? "NaN" : v === "inf" ? "∞" : v === "-inf" ? "−∞" : v;
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  return v.toExponential(Math.max(0, digits - 2)).replace("e+", "e");
}

/** The loss curve: training loss grey, test loss black, like TF Playground. */
export function drawLossCurve(canvas, history) {
  const [ctx, w, h] = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const pts = history.filter((p) => finite(p.train) || finite(p.test));
  if (pts.length < 2) return;
  let top = 0;
  for (const p of pts) top = Math.max(top, finite(p.train) ? p.train : 0, finite(p.test) ? p.test : 0);
  if (!(top > 0)) top = 1;
  const sx = (i) => (i / (pts.length - 1)) * (w - 2) + 1;
  const sy = (v) => h - 2 - (Math.min(v, top) / top) * (h - 6);
  for (const [key, colour] of [["train", "#999"], ["test", "#111"]]) {
    ctx.beginPath();
    let started = false;
    pts.forEach((p, i) => {
      if (!finite(p[key])) { started = false; return; }
      if (started) ctx.lineTo(sx(i), sy(p[key])); else ctx.moveTo(sx(i), sy(p[key]));
      started = true;
    });
    ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.stroke();
  }
}

/** One bar per weight layer with ||dL/dW|| on a log scale, input side first. A norm the
 *  server sent as null is not finite (after a divergence: a red bar) or not measured yet. */
export function drawGradBars(canvas, norms, diverged = false) {
  const [ctx, w, h] = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "10px system-ui, sans-serif";
  if (!norms || !norms.length || (!diverged && norms.every((v) => v === null))) {
    ctx.fillStyle = "#888"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
    ctx.fillText(t("Press play or step to see the gradients."), 40, h / 2);
    return;
  }
  const ok = norms.filter((v) => finite(v) && v > 0);
  const hiExp = Math.max(1, Math.ceil(Math.log10(Math.max(...ok, 1e-12))));
  // the bottom stays at least 8 decades below the top, so a collapse shows as a short bar
  const loExp = Math.min(hiExp - 8, Math.floor(Math.log10(Math.min(...ok, 1))));
  const left = 40, right = 8, top = 14, bottom = 16;
  const plotH = h - top - bottom, plotW = w - left - right;
  const y = (v) => top + plotH * (1 - (Math.log10(v) - loExp) / (hiExp - loExp));
  // decade grid
  ctx.strokeStyle = "#e5e5e5"; ctx.fillStyle = "#888"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
  const stepExp = Math.max(1, Math.ceil((hiExp - loExp) / 5));
  for (let e = hiExp; e >= loExp; e -= stepExp) {
    const yy = Math.round(y(10 ** e)) + 0.5;
    ctx.beginPath(); ctx.moveTo(left, yy); ctx.lineTo(w - right, yy); ctx.stroke();
    ctx.fillText(`1e${e}`, left - 4, yy);
  }
  const n = norms.length;
  const slot = plotW / n;
  const bw = Math.max(2, Math.min(36, slot * 0.7));
  ctx.textAlign = "center";
  norms.forEach((v, i) => {
    const cx = left + slot * (i + 0.5);
    const good = finite(v) && v > 0;
    const broken = !finite(v) && diverged;
    const yy = good ? y(Math.max(v, 10 ** loExp)) : top + (broken ? 0 : plotH);
    ctx.fillStyle = broken ? "#d62728" : "#0877bd";
    if (good || broken) ctx.fillRect(cx - bw / 2, yy, bw, top + plotH - yy);
    ctx.fillStyle = "#444";
    ctx.textBaseline = "bottom";
    if (slot > 28) ctx.fillText(broken ? "NaN" : fmt(v, 2), cx, Math.max(top, yy) - 1);
    ctx.textBaseline = "top";
    const every = Math.ceil(26 / slot);     // label every bar there is room for
    if (i % every === 0 || i === n - 1) ctx.fillText(`W${i + 1}`, cx, top + plotH + 2);
  });
}

/** The dataset buttons' icons: a sketch of each dataset's shape (decoration only). */
export function drawDatasetIcon(canvas, name) {
  const ctx = canvas.getContext("2d");
  const s = canvas.width, c = s / 2;
  const orange = CLASS_COLOURS[0], blue = CLASS_COLOURS[1];
  ctx.fillStyle = orange; ctx.fillRect(0, 0, s, s);
  if (name === "circle") {
    ctx.fillStyle = blue; ctx.beginPath(); ctx.arc(c, c, s * 0.3, 0, 2 * Math.PI); ctx.fill();
  } else if (name === "xor") {
    ctx.fillStyle = blue; ctx.fillRect(0, 0, c, c); ctx.fillRect(c, c, c, c);
  } else if (name === "gauss") {
    ctx.fillStyle = "#e8eaeb"; ctx.fillRect(0, 0, s, s);
    ctx.fillStyle = blue; ctx.beginPath(); ctx.arc(s * 0.3, s * 0.3, s * 0.2, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = orange; ctx.beginPath(); ctx.arc(s * 0.7, s * 0.7, s * 0.2, 0, 2 * Math.PI); ctx.fill();
  } else if (name === "spiral") {
    ctx.fillStyle = "#e8eaeb"; ctx.fillRect(0, 0, s, s);
    for (const [colour, phase] of [[blue, 0], [orange, Math.PI]]) {
      ctx.strokeStyle = colour; ctx.lineWidth = 3; ctx.beginPath();
      for (let k = 0; k <= 40; k++) {
        const r = (k / 40) * s * 0.45, a = (k / 40) * 3 * Math.PI + phase;
        const px = c + r * Math.cos(a), py = c + r * Math.sin(a);
        if (k) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      }
      ctx.stroke();
    }
  } else if (name === "reg-plane") {
    const g = ctx.createLinearGradient(0, s, s, 0);
    g.addColorStop(0, orange); g.addColorStop(0.5, "#e8eaeb"); g.addColorStop(1, blue);
    ctx.fillStyle = g; ctx.fillRect(0, 0, s, s);
  } else if (name === "reg-gauss") {
    ctx.fillStyle = "#e8eaeb"; ctx.fillRect(0, 0, s, s);
    for (const [x, y, col] of [[0.28, 0.28, blue], [0.72, 0.72, blue], [0.72, 0.28, orange], [0.28, 0.72, orange]]) {
      const g = ctx.createRadialGradient(x * s, y * s, 0, x * s, y * s, s * 0.25);
      g.addColorStop(0, col); g.addColorStop(1, "rgba(232,234,235,0)");
      ctx.fillStyle = g; ctx.fillRect(0, 0, s, s);
    }
  }
}
