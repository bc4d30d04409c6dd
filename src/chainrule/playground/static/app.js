// The playground page: it sends intents over one WebSocket and draws what the server
// (chainrule itself) sends back; see PROTOCOL.md. No network is computed here.

import { t, setLanguage, currentLanguage, translateDom } from "./i18n.js";
import { heatmapImage, drawOutput, drawLossCurve, drawGradBars, drawDatasetIcon, fmt, CLASS_COLOURS } from "./maps.js";
import { NetView } from "./net.js";
import { Backprop } from "./backprop.js";
import { parseHash, hashOf, readControl, showConfig } from "./controls.js";

const $ = (id) => document.getElementById(id);

let ws = null;
let hello = null;          // limits, defaults, presets
let config = null;         // the setup as the server normalised it
let data = null;           // the latest `data` message
let latest = null;         // the latest `state` message
let pending = null;        // a config sent and not yet answered
const lossPoints = [];     // [{step, train, test}] for the loss curve
let dirty = false;
let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });
const exports = [];        // what each `export` request was for, oldest first
let lastExport = null;

// ------------------------------------------------------------------ the connection
function connect() {
  // the language rides along so that errors about the first setup are already in it
  const lang = encodeURIComponent((config && config.lang) || parseHash(location.hash).lang || "en");
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?lang=${lang}`);
  ws.addEventListener("open", () => {
    status(t("Connected"), "ok");
    // the hash as written (strings); the server parses and normalises it
    if (config) sendConfig({ ...config });
    else sendConfig(parseHash(location.hash), true);
  });
  ws.addEventListener("message", (ev) => onMessage(JSON.parse(ev.data)));
  ws.addEventListener("close", () => {
    status(t("Disconnected from the server; retrying…"), "bad");
    setTimeout(connect, 1500);
  });
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

/** Send a setup. One from the URL (fromUrl) may hold bad values: the server names the
 *  field, the page drops it and tries again with the default for it. */
function sendConfig(cfg, fromUrl = false) {
  pending = { config: cfg, dropped: [], fromUrl };
  send({ type: "config", config: cfg });
}

/** Change part of the setup (a control moved). */
function change(patch) {
  if (!config) return;
  const next = { ...config, ...patch };
  // more than two classes only for spiral and gauss (the server's rule): fall back to 2
  if (next.problem !== "classification" || !["spiral", "gauss"].includes(next.dataset)) next.classes = 2;
  sendConfig(next);
}

const handlers = {
  hello(msg) {
    hello = msg;
    net.limits = msg.limits || net.limits;
    backprop.setPresets(msg.presets);
  },
  config(msg) {
    pending = null;
    const langChanged = !config || config.lang !== msg.config.lang;
    config = msg.config;
    showConfig(config, hello && hello.limits);
    window.history.replaceState(null, "", "#" + hashOf(config));
    if (langChanged && (msg.config.lang || "en") !== currentLanguage()) {
      setLanguage(msg.config.lang || "en").then(retranslate);
    }
    net.invalidate();
    dirty = true;
  },
  data(msg) {
    data = msg;
    dirty = true;
  },
  state(msg) {
    if (lossPoints.length && msg.step < lossPoints[lossPoints.length - 1].step) lossPoints.length = 0;
    const last = lossPoints[lossPoints.length - 1];
    if (!last || last.step !== msg.step) lossPoints.push({ step: msg.step, train: msg.trainLoss, test: msg.testLoss });
    else Object.assign(last, { train: msg.trainLoss, test: msg.testLoss });
    if (lossPoints.length > 3000) thin(lossPoints);
    latest = msg;
    stats.states += 1;
    dirty = true;
    document.body.classList.toggle("running", !!msg.running);
    showDivergence(msg);
    resolveReady();
  },
  export(msg) {
    lastExport = msg;
    const job = exports.shift() || { kind: "model", resolve() {} };
    if (job.kind === "model") downloadModel(msg);
    else showCode(msg);
    job.resolve({ filename: msg.filename, bytes: atob(msg.model).length, python: msg.python });
  },
  graph(msg) {
    backprop.show(msg);
  },
  error(msg) {
    if (pending && pending.fromUrl && msg.field && msg.field in pending.config && !pending.dropped.includes(msg.field)) {
      // a bad value in the URL or a control: drop it, use the default, and say so
      const cfg = { ...pending.config };
      delete cfg[msg.field];
      const dropped = [...pending.dropped, msg.field];
      toast(t("{message} (using the default for {field})", { message: msg.message, field: msg.field }));
      pending = { config: cfg, dropped, fromUrl: true };
      send({ type: "config", config: cfg });
      return;
    }
    if (pending && pending.fromUrl && !config && Object.keys(pending.config).length) {
      sendConfig({}, true);           // nothing usable in the URL: start from the defaults
    } else {
      if (pending && config) showConfig(config, hello && hello.limits);   // undo the control
      pending = null;
    }
    if (!$("panel-backprop").hidden) backprop.error(msg.message);
    toast(msg.message);
  },
};

function onMessage(msg) {
  const h = handlers[msg.type];
  if (h) h(msg);
  else console.warn("playground: unknown message", msg.type);
}

/** Keep every other point, so a long run's curve stays cheap to draw. */
function thin(points) {
  const kept = points.filter((_, i) => i % 2 === 0 || i === points.length - 1);
  points.length = 0;
  points.push(...kept);
}

// ------------------------------------------------------------------ drawing
const net = new NetView(
  { scroll: $("net-scroll"), inner: $("net-inner"), canvas: $("net-canvas"), overlay: $("net-overlay") },
  {
    toggleFeature: (name) => change({ [name]: !config[name] }),
    changeNeurons: (layer, delta) => {
      const shape = [...config.networkShape];
      shape[layer] = Math.max(1, Math.min(maxNeurons(), shape[layer] + delta));
      change({ networkShape: shape.join(",") });
    },
  });

const maxNeurons = () => (hello && hello.limits && hello.limits.maxNeurons) || 64;
const maxLayers = () => (hello && hello.limits && hello.limits.maxLayers) || 32;

function frame() {
  if (dirty && config) {
    dirty = false;
    draw();
  }
  requestAnimationFrame(frame);
}

// how the drawing keeps up: states received, frames drawn, time spent drawing
const stats = { states: 0, frames: 0, drawMs: 0, maxDrawMs: 0 };

function draw() {
  const start = performance.now();
  drawAll();
  const ms = performance.now() - start;
  stats.frames += 1;
  stats.drawMs += ms;
  stats.maxDrawMs = Math.max(stats.maxDrawMs, ms);
}

function drawAll() {
  const numClasses = (data && data.numClasses) || 2;
  // the latest state only; its maps are decoded once, here
  const image = latest ? heatmapImage(latest.heatmap, numClasses, config.discretize) : null;
  drawOutput($("heat-canvas"), image, data, config);
  net.draw(latest, data, config, image);
  drawLossCurve($("loss-canvas"), lossPoints);
  drawGradBars($("grad-canvas"), latest && latest.gradNorms, latest && latest.diverged);
  $("epoch").textContent = epochText(latest ? latest.epoch : 0);
  // a loss the server sent as null is not a finite number (after a divergence)
  const loss = (v) => (v === null && latest.diverged ? "NaN" : fmt(v));
  $("train-loss").textContent = latest ? loss(latest.trainLoss) : "–";
  $("test-loss").textContent = latest ? loss(latest.testLoss) : "–";
  drawLegend(numClasses);
}

const epochText = (n) => String(n).padStart(6, "0").replace(/(\d{3})(?=\d{3}$)/, "$1,");

function drawLegend(numClasses) {
  const box = $("legend");
  const key = `${numClasses}-${config.problem}-${currentLanguage()}`;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren();
  const item = (colour, text) => {
    const s = document.createElement("span");
    s.className = "swatch";
    s.style.background = colour;
    const l = document.createElement("span");
    l.textContent = text;
    box.append(s, l);
  };
  if (config.problem === "regression") {
    item(CLASS_COLOURS[0], "−1"); item("#e8eaeb", "0"); item(CLASS_COLOURS[1], "+1");
  } else {
    for (let k = 0; k < numClasses; k++) item(CLASS_COLOURS[k], t("class {k}", { k }));
  }
}

function showDivergence(msg) {
  const banner = $("divergence-banner");
  if (!msg.diverged) { banner.hidden = true; return; }
  const d = msg.divergence || {};
  banner.hidden = false;
  banner.textContent = t("Training diverged at step {step} (epoch {epoch}) with learning rate {lr}: the loss became {loss}. Training is paused; lower the learning rate or press reset.", {
    step: d.step ?? msg.step, epoch: d.epoch ?? msg.epoch, lr: d.lr ?? (config && config.learningRate),
    loss: fmt(d.loss),
  });
  if (msg.running) send({ type: "pause" });
}

function status(text, kind) {
  const el = $("connection");
  el.removeAttribute("data-i18n");
  el.textContent = text;
  el.className = `connection ${kind}`;
}

let toastTimer = 0;
function toast(text) {
  const el = $("error-toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 7000);
}

function retranslate() {
  translateDom(document);
  document.title = `chainrule ${t("playground")}`;
  if (config) showConfig(config, hello && hello.limits);
  net.invalidate();
  $("legend").dataset.key = "";
  if (backprop.graph) backprop.render();
  if (latest) showDivergence(latest);
  status(ws && ws.readyState === WebSocket.OPEN ? t("Connected") : t("Connecting…"),
    ws && ws.readyState === WebSocket.OPEN ? "ok" : "");
  dirty = true;
}

// ------------------------------------------------------------------ export
/** Ask the server for the model; resolves once the download has started. */
function requestExport(kind) {
  return new Promise((resolve) => {
    exports.push({ kind, resolve });
    send({ type: "export" });
  });
}

function downloadBlob(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function downloadModel(msg) {
  const raw = atob(msg.model);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const name = /\.safetensors$/.test(msg.filename) ? msg.filename : `${msg.filename || "playground"}.safetensors`;
  downloadBlob(new Blob([bytes], { type: "application/octet-stream" }), name);
}

function showCode(msg) {
  $("code-text").textContent = msg.python;
  const dlg = $("code-dialog");
  if (!dlg.open) dlg.showModal();
}

// ------------------------------------------------------------------ controls
function bindControls() {
  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key;
    const label = $(`val-${key}`);
    if (label) el.addEventListener("input", () => { label.textContent = el.value; });
    el.addEventListener("change", () => {
      const value = readControl(el);
      if (key === "lang") setLanguage(value).then(retranslate);
      change({ [key]: value });
    });
  }
  for (const b of document.querySelectorAll("[data-dataset]")) {
    drawDatasetIcon(b.querySelector("canvas"), b.dataset.dataset);
    b.addEventListener("click", () => change({ dataset: b.dataset.dataset }));
  }
  for (const b of document.querySelectorAll("[data-regdataset]")) {
    drawDatasetIcon(b.querySelector("canvas"), b.dataset.regdataset);
    b.addEventListener("click", () => change({ regDataset: b.dataset.regdataset }));
  }
  $("regenerate").addEventListener("click", () => change({ seed: (config.seed || 0) + 1 }));
  $("add-layer").addEventListener("click", () => {
    const shape = [...config.networkShape];
    if (shape.length >= maxLayers()) return;
    shape.push(shape.length ? shape[shape.length - 1] : 4);
    change({ networkShape: shape.join(",") });
  });
  $("remove-layer").addEventListener("click", () => {
    const shape = config.networkShape.slice(0, -1);
    change({ networkShape: shape.join(",") });
  });
  $("play").addEventListener("click", () => send({ type: latest && latest.running ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => { lossPoints.length = 0; send({ type: "reset" }); });
  $("export-model").addEventListener("click", () => requestExport("model"));
  $("export-code").addEventListener("click", () => requestExport("code"));
  $("close-code").addEventListener("click", () => $("code-dialog").close());
  $("download-code").addEventListener("click", () => {
    if (!lastExport) return;
    const name = lastExport.pythonFilename ||
      (lastExport.filename || "playground.safetensors").replace(/\.safetensors$/, "") + ".py";
    downloadBlob(new Blob([lastExport.python], { type: "text/x-python" }), name);
  });
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  }
  window.addEventListener("resize", () => { net.invalidate(); dirty = true; });
  window.addEventListener("hashchange", () => sendConfig(parseHash(location.hash), true));
  document.addEventListener("keydown", (e) => {
    if ($("panel-backprop").hidden || /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) return;
    if (e.key === "ArrowRight") backprop.go(backprop.done + 1);
    if (e.key === "ArrowLeft") backprop.go(backprop.done - 1);
  });
}

let backpropOpened = false;
function selectTab(name) {
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    $(`panel-${tab.dataset.tab}`).hidden = !on;
  }
  if (name === "backprop" && !backpropOpened) {
    backpropOpened = true;
    backprop.request();
  } else if (name === "backprop" && backprop.graph) backprop.render();
  if (name === "network") { net.invalidate(); dirty = true; }
}

const backprop = new Backprop(send, {
  preset: $("bp-preset"), expression: $("bp-expression"), values: $("bp-values"),
  build: $("bp-build"), next: $("bp-next"), prev: $("bp-prev"), all: $("bp-all"),
  restart: $("bp-restart"), svg: $("bp-svg"), phase: $("bp-phase"), explain: $("bp-explain"),
  log: $("bp-log"), error: $("bp-error"),
});

// ------------------------------------------------------------------ the test hook
window.playground = {
  play: () => send({ type: "play" }),
  pause: () => send({ type: "pause" }),
  step: () => send({ type: "step" }),
  reset: () => send({ type: "reset" }),
  state: () => ({
    running: !!(latest && latest.running),
    epoch: latest ? latest.epoch : 0,
    trainLoss: latest ? latest.trainLoss : null,
    testLoss: latest ? latest.testLoss : null,
    gradNorms: latest ? latest.gradNorms : [],
    diverged: !!(latest && latest.diverged),
    config,
  }),
  ready,
  exportModel: () => requestExport("model"),
  /** {states, frames, drawMs, maxDrawMs}: whether drawing keeps up with the server. */
  stats: () => ({ ...stats }),
};

bindControls();
setLanguage(parseHash(location.hash).lang || "en").then(retranslate);
connect();
requestAnimationFrame(frame);
