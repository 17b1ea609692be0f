// mogo's viewer: type a sentence, Generate (the whole motion) or Stream (frames as the server makes
// them, server-sent events over fetch), steer a running stream with a new text, play, pause, scrub,
// download. The skeleton is drawn as bones and joints on a ground grid; the camera orbits. Drop a
// skinned .glb (or pick it as "character"): the server retargets the motion onto it
// (docs/retarget.md) and the viewer poses the character's own bones with the rotations it sends.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

const $ = (id) => document.getElementById(id);
// A server started with --api-key: open the viewer as http://host:port/#key=KEY (the fragment never
// leaves the browser); the key is kept for this tab and sent as a Bearer token.
const apiKey = (() => {
  const m = /(?:^#|&)key=([^&]*)/.exec(location.hash);
  if (m) { sessionStorage.setItem('mogoKey', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname); }
  return sessionStorage.getItem('mogoKey') || '';
})();
const jsonHeaders = () => ({ 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) });
const state = { fps: 20, names: [], parents: [], frames: [], texts: [], frame: 0, playing: true, streamId: null, abort: null, clock: 0,
  rig: null, rotations: [], roots: [] };

// --- scene -------------------------------------------------------------------------------------
const view = $('view');
const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
view.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x1d2027);
const camera = new THREE.PerspectiveCamera(45, 1, 0.05, 200);
camera.position.set(2.4, 1.4, 3.6);
const controls = new OrbitControls(camera, renderer.domElement);
controls.target.set(0, 0.8, 0);
controls.update();
// A floor around the character that moves with it in whole cells (a small grid: software GL in
// headless browsers drops lines that reach far behind the camera).
const grid = new THREE.GridHelper(8, 16, 0x8a96a8, 0x4c5566);
scene.add(grid);
scene.add(new THREE.HemisphereLight(0xffffff, 0x333344, 2.0));
const bones = new THREE.LineSegments(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: 0x9fd3ff }));
scene.add(bones);
let joints = null;  // InstancedMesh of spheres, made once the skeleton is known

function setSkeleton(names, parents) {
  state.names = names;
  state.parents = parents;
  bones.geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array((names.length - 1) * 6), 3));
  if (joints) scene.remove(joints);
  joints = new THREE.InstancedMesh(new THREE.SphereGeometry(0.025, 12, 8), new THREE.MeshStandardMaterial({ color: 0xffc86b }), names.length);
  scene.add(joints);
}

const matrix = new THREE.Matrix4();
function showPose(i) {
  const pose = state.frames[i];
  if (!pose || !joints) return;
  const line = bones.geometry.attributes.position.array;
  let k = 0;
  for (let j = 1; j < state.parents.length; j++) {
    const p = state.parents[j];
    line.set(pose.subarray(p * 3, p * 3 + 3), k);
    line.set(pose.subarray(j * 3, j * 3 + 3), k + 3);
    k += 6;
  }
  bones.geometry.attributes.position.needsUpdate = true;
  bones.geometry.computeBoundingSphere();
  for (let j = 0; j < state.names.length; j++) joints.setMatrixAt(j, matrix.makeTranslation(pose[j * 3], pose[j * 3 + 1], pose[j * 3 + 2]));
  joints.instanceMatrix.needsUpdate = true;
  // Follow the character across the floor: the camera moves with its target (orbiting still works).
  const before = controls.target.clone();
  controls.target.lerp(new THREE.Vector3(pose[0], 0.8, pose[2]), 0.05);
  camera.position.add(controls.target.clone().sub(before));
  grid.position.set(Math.round(pose[0]), 0, Math.round(pose[2]));
  poseCharacter(i);
  $('scrub').value = i;
  $('clock').textContent = `${(i / state.fps).toFixed(2)} s`;
}

function resize() {
  const w = view.clientWidth, h = view.clientHeight;
  if (w === 0 || h === 0) return;
  renderer.setSize(w, h, false);
  camera.aspect = w / Math.max(h, 1);
  camera.updateProjectionMatrix();
}
// The view's size is known only once the page is laid out, and changes with the window.
new ResizeObserver(resize).observe(view);
resize();

let last = performance.now();
renderer.setAnimationLoop((now) => {
  const dt = (now - last) / 1000;
  last = now;
  if (state.playing && state.frames.length) {
    state.clock = Math.min(state.clock + dt * state.fps, state.frames.length - 1);
    state.frame = Math.floor(state.clock);
  }
  showPose(state.frame);
  controls.update();
  renderer.render(scene, camera);
  state.rendered = (state.rendered || 0) + 1;
});

// --- the user's character ---------------------------------------------------------------------
// The rig's joints (as the server names them) -> the loaded scene's bones; each frame's local
// rotations (w, x, y, z) go onto those bones as they are, the root's translation onto the root.
function poseCharacter(i) {
  const rig = state.rig;
  const q = state.rotations[i];
  if (!rig || !q) return;
  rig.bones.forEach((bone, j) => { if (bone) bone.quaternion.set(q[j][1], q[j][2], q[j][3], q[j][0]); });
  const root = state.roots[i];
  if (root && rig.bones[0]) rig.bones[0].position.set(root[0], root[1], root[2]);
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function loadCharacter(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const name = `character-${Date.now()}`;
  status(`reading ${file.name}...`);
  const res = await fetch('/v1/rigs', { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ name, glb: base64(bytes) }) });
  if (!res.ok) return status(`error: ${await errorOf(res)}`);
  const rig = await res.json();
  const gltf = await new GLTFLoader().parseAsync(bytes.buffer, '');
  const byName = new Map();
  gltf.scene.traverse((o) => byName.set(o.name, o));
  if (state.rig) scene.remove(state.rig.scene);
  state.rig = { name, scene: gltf.scene, joints: rig.joints,
    bones: rig.joints.map((n) => byName.get(THREE.PropertyBinding.sanitizeNodeName(n)) ?? null) };
  scene.add(gltf.scene);
  $('rigName').textContent = `${file.name}: ${Object.keys(rig.mapped).length} of ${rig.joints.length} joints driven`;
  status(`character ${file.name} loaded: Generate or Stream to see the motion on it`);
}

$('rigFile').onchange = () => { if ($('rigFile').files[0]) loadCharacter($('rigFile').files[0]); };
view.addEventListener('dragover', (e) => e.preventDefault());
view.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = e.dataTransfer.files[0];
  if (file) loadCharacter(file);
});

// --- data --------------------------------------------------------------------------------------
function addFrames(list, text = '', rotations = null, roots = null) {
  list.forEach((f, i) => {
    state.frames.push(Float32Array.from(f.flat()));
    state.texts.push(text);  // the stream's text when the frame was made
    state.rotations.push(rotations ? rotations[i] : null);
    state.roots.push(roots ? roots[i] : null);
  });
  $('scrub').max = Math.max(0, state.frames.length - 1);
  setEnabled(state.frames.length > 0, 'play', 'scrub');
  // Downloads are of mogo's own skeleton (`mogo generate --rig` writes files on a character).
  setEnabled(state.frames.length > 0 && !state.rig, 'dlBvh', 'dlGlb', 'dlJson');
}

function reset() {
  state.frames = [];
  state.texts = [];
  state.rotations = [];
  state.roots = [];
  state.frame = 0;
  state.clock = 0;
  state.playing = true;
  $('play').textContent = 'Pause';
}

function setEnabled(on, ...ids) { for (const id of ids) $(id).disabled = !on; }
function status(text) { $('status').textContent = text; }

function request() {
  const body = { text: $('text').value };
  const seconds = parseFloat($('seconds').value);
  if (!Number.isNaN(seconds)) body.seconds = seconds;
  const seed = parseInt($('seed').value, 10);
  if (!Number.isNaN(seed)) body.seed = seed;
  if (state.rig) body.rig = state.rig.name;
  return body;
}

async function errorOf(res) {
  try { return (await res.json()).error; } catch { return `HTTP ${res.status}`; }
}

// What the model read after prompt alignment (docs/prompts.md), with the replaced and dropped words.
function showAligned(a) {
  const el = $('aligned');
  if (!a) { el.textContent = ''; el.title = ''; return; }
  const changed = a.text !== a.prompt;
  el.textContent = changed ? `model read: "${a.text}"` : '';
  const replaced = Object.entries(a.replaced ?? {}).map(([k, v]) => `${k} -> ${v}`).join(', ');
  el.title = [replaced && `replaced: ${replaced}`, a.dropped?.length && `dropped: ${a.dropped.join(', ')}`,
    a.nearest_captions?.length && `nearest caption: "${a.nearest_captions[0]}" (distance ${a.nearest_distance.toFixed(3)}, blend ${a.blend.toFixed(2)})`]
    .filter(Boolean).join('\n');
}

async function generate() {
  const body = request();
  if (body.seconds === 0) delete body.seconds;  // 0 means endless for streams only
  status('generating...');
  const res = await fetch('/v1/generate', { method: 'POST', headers: jsonHeaders(), body: JSON.stringify(body) });
  if (!res.ok) return status(`error: ${await errorOf(res)}`);
  const motion = await res.json();
  reset();
  setSkeleton(motion.joints, motion.parents);
  addFrames(motion.frames, '', motion.rotations, motion.root);
  showAligned(motion.alignment);
  status(`${motion.frames.length} frames`);
}

// Server-sent events over a POST: parse "event: X\ndata: Y\n\n" blocks as they arrive.
async function stream() {
  reset();
  const abort = new AbortController();
  state.abort = abort;
  setEnabled(false, 'generate', 'stream');
  setEnabled(true, 'stop');
  status('waiting for the first frames...');
  try {
    const res = await fetch('/v1/stream', { method: 'POST', headers: jsonHeaders(),
      body: JSON.stringify(request()), signal: abort.signal });
    if (!res.ok) return status(`error: ${await errorOf(res)}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
        if (event === 'start') {
          setSkeleton(data.joints, data.parents);
          state.fps = data.fps;
          state.streamId = data.id;
          setEnabled(true, 'newText', 'change');
        } else if (event === 'aligned') {
          showAligned(data);
        } else if (event === 'frames') {
          addFrames(data.joints, data.text, data.rotations, data.root);
          status(`streaming: ${state.frames.length} frames (${data.text})`);
        } else if (event === 'done') {
          status(`${data.frames} frames`);
        }
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') status(`error: ${e.message}`);
    else status(`stopped after ${state.frames.length} frames`);
  } finally {
    state.streamId = null;
    state.abort = null;
    setEnabled(true, 'generate', 'stream');
    setEnabled(false, 'stop', 'newText', 'change');
  }
}

async function changeText() {
  if (!state.streamId) return;
  const res = await fetch(`/v1/stream/${state.streamId}/text`, { method: 'POST', headers: jsonHeaders(),
    body: JSON.stringify({ text: $('newText').value }) });
  if (!res.ok) status(`error: ${await errorOf(res)}`);
}

async function download(format) {
  const frames = state.frames.map((f) => Array.from({ length: f.length / 3 }, (_, j) => [f[j * 3], f[j * 3 + 1], f[j * 3 + 2]]));
  const res = await fetch('/v1/export', { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ frames, format }) });
  if (!res.ok) return status(`error: ${await errorOf(res)}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = `motion.${format}`;
  a.click();
  URL.revokeObjectURL(a.href);
}

$('generate').onclick = generate;
$('stream').onclick = stream;
$('stop').onclick = () => state.abort?.abort();
$('change').onclick = changeText;
$('prompt').onsubmit = (e) => { e.preventDefault(); stream(); };
$('steer').onsubmit = (e) => { e.preventDefault(); changeText(); };
$('play').onclick = () => {
  state.playing = !state.playing;
  $('play').textContent = state.playing ? 'Pause' : 'Play';
};
$('scrub').oninput = () => {
  state.playing = false;
  $('play').textContent = 'Play';
  state.frame = state.clock = parseInt($('scrub').value, 10);
};
$('dlBvh').onclick = () => download('bvh');
$('dlGlb').onclick = () => download('glb');
$('dlJson').onclick = () => download('json');

// For tests and the curious: the viewer's state.
window.mogoViewer = {
  get frames() { return state.frames.length; },
  get frame() { return state.frame; },
  get rendered() { return state.rendered || 0; },
  get streamId() { return state.streamId; },
  pose(i) { return state.frames[i] ? Array.from(state.frames[i]) : null; },
  textAt(i) { return state.texts[i] ?? null; },
  get rig() { return state.rig?.name ?? null; },
  // World position of the character's bone for rig joint j as drawn now (null without one).
  boneWorld(j) {
    const b = state.rig?.bones[j];
    if (!b) return null;
    state.rig.scene.updateMatrixWorld(true);
    return b.getWorldPosition(new THREE.Vector3()).toArray();
  },
};
