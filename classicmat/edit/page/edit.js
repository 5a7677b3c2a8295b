// classicmat edit: paint a trimap or scribbles over the photo, see the matte after each stroke.
//
// The trimap is a label map kept here, one byte per pixel: 0 background, 128 unknown,
// 255 foreground. After each stroke it is sent as a gray PNG to POST /api/alpha (or
// /api/cutout for the cut-out views), and the answer is shown. Only one request is in
// flight at a time; strokes made meanwhile are sent together when it returns.
"use strict";

const LABEL = { fg: 255, bg: 0, unknown: 128 };
const MODES = {
  fg: { label: LABEL.fg, thin: false },
  bg: { label: LABEL.bg, thin: false },
  unknown: { label: LABEL.unknown, thin: false },
  "scribble-fg": { label: LABEL.fg, thin: true },
  "scribble-bg": { label: LABEL.bg, thin: true },
};
const SCRIBBLE_WIDTH = 3; // px of the image: scribbles are thin strokes
const OVERLAY_RGBA = {  // as --fg and --bg in edit.css; unknown pixels are left clear
  [LABEL.fg]: [30, 110, 255, 255],
  [LABEL.bg]: [255, 48, 40, 255],
  [LABEL.unknown]: [0, 0, 0, 0],
};
const MAX_UNDO = 100;

const $ = (id) => document.getElementById(id);
const el = {
  photo: $("photo"), overlay: $("overlay"), cursor: $("cursor"), stage: $("paint-stage"),
  result: $("result"), resultStage: $("result-stage"), resultTitle: $("result-title"),
  status: $("status"), size: $("size"), sizeValue: $("size-value"), opacity: $("opacity"),
  undo: $("undo"), method: $("method"), view: $("view"), colour: $("colour"), save: $("save"),
  outputs: $("outputs"), imageTitle: $("image-title"),
};

let W = 0, H = 0;
let labels = null;          // Uint8Array(W * H)
let overlayCtx = null, overlayData = null;
let strokeMark = null;      // Uint32Array(W * H): the stroke that last changed a pixel
let strokeId = 0;
let stroke = null;          // {idx: [], old: [], last: [x, y]} while painting
const undoStack = [];
let edits = 0;              // bumped by every change of the labels
let shownKey = "";          // what the result shows: edits|method|kind
let busy = false, again = false;
let resultUrl = null;

// ---------------------------------------------------------------- messages

function say(text, kind = "info") {
  el.status.textContent = text;
  el.status.className = kind;
}

async function errorText(response) {
  const text = (await response.text()).trim();
  return `${response.status} ${response.statusText}: ${text}`;
}

// ---------------------------------------------------------------- loading

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

async function start() {
  const [info, methods] = await Promise.all([getJson("/api/info"), getJson("/api/methods")]);
  W = info.width;
  H = info.height;
  document.title = `${info.name} - classicmat edit`;
  el.imageTitle.textContent = `${info.name} (${W} x ${H})` +
    (info.trimap ? `, trimap ${info.trimap}` : "");
  el.outputs.textContent = `Save writes ${info.outputs.trimap}, ${info.outputs.alpha} and ` +
    `${info.outputs.cutout} in ${info.folder}.`;
  for (const m of methods) {
    const option = document.createElement("option");
    option.value = m.name;
    option.textContent = m.name;
    option.title = m.summary;
    el.method.append(option);
  }
  el.method.value = info.method;

  const [photo, trimap] = await Promise.all([loadImage("/image"), loadImage("/trimap")]);
  for (const canvas of [el.photo, el.overlay]) {
    canvas.width = W;
    canvas.height = H;
  }
  el.result.width = W;
  el.result.height = H;
  el.size.max = String(Math.max(200, Math.round(Math.max(W, H) / 4)));
  el.photo.getContext("2d").drawImage(photo, 0, 0);

  const scratch = document.createElement("canvas");
  scratch.width = W;
  scratch.height = H;
  const sctx = scratch.getContext("2d", { willReadFrequently: true });
  sctx.drawImage(trimap, 0, 0);
  const pixels = sctx.getImageData(0, 0, W, H).data;
  labels = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) {
    const v = pixels[4 * i];
    labels[i] = v <= 25 ? LABEL.bg : v >= 230 ? LABEL.fg : LABEL.unknown;
  }
  strokeMark = new Uint32Array(W * H);
  overlayCtx = el.overlay.getContext("2d");
  overlayData = overlayCtx.createImageData(W, H);
  paintOverlay(0, 0, W, H);

  bindEvents();
  document.body.dataset.ready = "1";
  if (info.trimap) {
    refresh();
  } else {
    say("Paint some foreground and some background: the matte appears after each stroke.");
  }
}

// ---------------------------------------------------------------- painting

function paintOverlay(x0, y0, x1, y1) {
  const data = overlayData.data;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * W + x;
      const rgba = OVERLAY_RGBA[labels[i]];
      data.set(rgba, 4 * i);
    }
  }
  overlayCtx.putImageData(overlayData, 0, 0, x0, y0, x1 - x0, y1 - y0);
}

function brushDiameter() {
  return MODES[mode()].thin ? SCRIBBLE_WIDTH : Number(el.size.value);
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

// Set every pixel whose centre lies within the brush of the segment (ax, ay)-(bx, by).
function stamp(ax, ay, bx, by) {
  const r = brushDiameter() / 2;
  const value = MODES[mode()].label;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
  const x1 = Math.min(W, Math.ceil(Math.max(ax, bx) + r));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
  const y1 = Math.min(H, Math.ceil(Math.max(ay, by) + r));
  if (x0 >= x1 || y0 >= y1) return;
  const dx = bx - ax, dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const r2 = r * r;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5, py = y + 0.5;
      let t = length2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / length2 : 0;
      t = Math.max(0, Math.min(1, t));
      const ex = px - (ax + t * dx), ey = py - (ay + t * dy);
      if (ex * ex + ey * ey > r2) continue;
      const i = y * W + x;
      if (labels[i] === value) continue;
      if (strokeMark[i] !== strokeId) {
        strokeMark[i] = strokeId;
        stroke.idx.push(i);
        stroke.old.push(labels[i]);
      }
      labels[i] = value;
    }
  }
  paintOverlay(x0, y0, x1, y1);
}

function imagePoint(event) {
  const rect = el.overlay.getBoundingClientRect();
  return [(event.clientX - rect.left) * (W / rect.width), (event.clientY - rect.top) * (H / rect.height)];
}

function moveCursor(event) {
  const rect = el.overlay.getBoundingClientRect();
  const scale = rect.width / W;
  const d = Math.max(3, brushDiameter() * scale);
  el.cursor.style.display = "block";
  el.cursor.style.width = el.cursor.style.height = `${d}px`;
  el.cursor.style.left = `${event.clientX - rect.left}px`;
  el.cursor.style.top = `${event.clientY - rect.top}px`;
}

function strokeStart(event) {
  if (event.button !== 0 || !labels) return;
  event.preventDefault();
  el.overlay.setPointerCapture(event.pointerId);
  strokeId += 1;
  const [x, y] = imagePoint(event);
  stroke = { idx: [], old: [], last: [x, y] };
  stamp(x, y, x, y);
}

function strokeMove(event) {
  moveCursor(event);
  if (!stroke) return;
  const [x, y] = imagePoint(event);
  stamp(stroke.last[0], stroke.last[1], x, y);
  stroke.last = [x, y];
}

function strokeEnd() {
  if (!stroke) return;
  const done = stroke;
  stroke = null;
  if (done.idx.length === 0) return;
  undoStack.push({ idx: Int32Array.from(done.idx), old: Uint8Array.from(done.old) });
  if (undoStack.length > MAX_UNDO) undoStack.shift();
  el.undo.disabled = false;
  edits += 1;
  refresh();
}

function undo() {
  const last = undoStack.pop();
  el.undo.disabled = undoStack.length === 0;
  if (!last) return;
  for (let k = last.idx.length - 1; k >= 0; k--) labels[last.idx[k]] = last.old[k];
  paintOverlay(0, 0, W, H);
  edits += 1;
  refresh();
}

// ---------------------------------------------------------------- the matte

function labelsPng() {
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(W, H);
  const data = image.data;
  for (let i = 0; i < W * H; i++) {
    const v = labels[i];
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function resultKind() {
  return el.view.value === "alpha" ? "alpha" : "cutout";
}

function showView() {
  const view = el.view.value;
  el.resultStage.classList.toggle("checker", view === "checker");
  el.resultStage.style.backgroundColor = view === "colour" ? el.colour.value : "";
  el.colour.disabled = view !== "colour";
  el.resultTitle.textContent = view === "alpha" ? "Alpha" :
    view === "checker" ? "Cut-out over a checkerboard" : "Cut-out over a colour";
}

async function post(kind, method) {
  const body = await labelsPng();
  return fetch(`/api/${kind}?method=${encodeURIComponent(method)}`, {
    method: "POST",
    headers: { "Content-Type": "image/png" },
    body,
  });
}

// Ask for the matte of the labels as they are now; one request at a time.
async function refresh() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  document.body.dataset.busy = "1";
  try {
    do {
      again = false;
      const method = el.method.value, kind = resultKind();
      const key = `${edits}|${method}|${kind}`;
      if (key === shownKey) break;
      say(`solving (${method})…`, "busy");
      const started = performance.now();
      const response = await post(kind, method);
      if (!response.ok) {
        say(await errorText(response), "error");
        shownKey = "";
        continue;
      }
      const blob = await response.blob();
      if (resultUrl) URL.revokeObjectURL(resultUrl);
      resultUrl = URL.createObjectURL(blob);
      await new Promise((resolve) => {
        el.result.onload = el.result.onerror = resolve;
        el.result.src = resultUrl;
      });
      el.result.alt = kind === "alpha" ? "the alpha matte" : "the cut-out";
      el.result.dataset.updates = String(Number(el.result.dataset.updates) + 1);
      shownKey = key;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      say(`${kind === "alpha" ? "alpha" : "cut-out"}: ${method}, ${seconds} s`);
    } while (again);
  } catch (error) {
    say(`the server does not answer (${error.message}); is classicmat edit still running?`, "error");
  } finally {
    busy = false;
    document.body.dataset.busy = "0";
  }
}

async function save() {
  el.save.disabled = true;
  say("saving…", "busy");
  try {
    const response = await post("save", el.method.value);
    if (!response.ok) {
      say(await errorText(response), "error");
      return;
    }
    const answer = await response.json();
    say(`saved ${answer.saved.join(", ")} in ${answer.folder}`);
  } catch (error) {
    say(`the server does not answer (${error.message}); is classicmat edit still running?`, "error");
  } finally {
    el.save.disabled = false;
  }
}

// ---------------------------------------------------------------- controls

function setMode(name) {
  document.querySelector(`input[name="mode"][value="${name}"]`).checked = true;
}

function setSize(value) {
  const size = Math.max(Number(el.size.min), Math.min(Number(el.size.max), value));
  el.size.value = String(size);
  el.sizeValue.textContent = String(size);
}

function bindEvents() {
  el.overlay.addEventListener("pointerdown", strokeStart);
  el.overlay.addEventListener("pointermove", strokeMove);
  el.overlay.addEventListener("pointerup", strokeEnd);
  el.overlay.addEventListener("pointercancel", strokeEnd);
  el.overlay.addEventListener("pointerleave", () => { el.cursor.style.display = "none"; });
  el.size.addEventListener("input", () => setSize(Number(el.size.value)));
  el.opacity.addEventListener("input", () => { el.overlay.style.opacity = String(el.opacity.value / 100); });
  el.undo.addEventListener("click", undo);
  el.save.addEventListener("click", save);
  el.method.addEventListener("change", refresh);
  el.view.addEventListener("change", () => { showView(); refresh(); });
  el.colour.addEventListener("input", showView);
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLSelectElement || event.target instanceof HTMLInputElement &&
        event.target.type !== "radio" && event.target.type !== "range") return;
    if ((event.ctrlKey || event.metaKey) && event.key === "z") {
      event.preventDefault();
      undo();
      return;
    }
    const keys = { f: "fg", b: "bg", u: "unknown", s: "scribble-fg", d: "scribble-bg" };
    if (keys[event.key]) setMode(keys[event.key]);
    else if (event.key === "[") setSize(Number(el.size.value) - Math.max(1, Math.round(el.size.value / 8)));
    else if (event.key === "]") setSize(Number(el.size.value) + Math.max(1, Math.round(el.size.value / 8)));
  });
  showView();
}

start().catch((error) => say(`cannot start: ${error.message}`, "error"));
