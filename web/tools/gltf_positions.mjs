// Forward kinematics of a glTF binary (.glb) as three.js plays it: loads it with GLTFLoader, plays
// its first animation with an AnimationMixer at every key time, and prints the skin's joint world
// positions per frame as JSON {"names", "frames": [[[x, y, z] per joint] per frame], "meshes",
// "skinned"}. Usage: node web/tools/gltf_positions.mjs file.glb
import { readFileSync } from 'node:fs';
import { AnimationMixer, LoopOnce, Vector3 } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';

const bytes = readFileSync(process.argv[2]);
const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
new GLTFLoader().parse(buffer, '', (gltf) => {
  let skinned = null;
  let meshes = 0;
  gltf.scene.traverse((o) => {
    if (o.isMesh) meshes++;
    if (o.isSkinnedMesh) skinned = o;
  });
  const bones = skinned.skeleton.bones;
  const clip = gltf.animations[0];
  const times = clip.tracks[0].times;
  const mixer = new AnimationMixer(gltf.scene);
  // Played once and held at the end: a looping action would wrap the last frame's time to 0.
  mixer.clipAction(clip).setLoop(LoopOnce).play().clampWhenFinished = true;
  const frames = [];
  const p = new Vector3();
  for (const t of times) {
    mixer.setTime(t);
    gltf.scene.updateMatrixWorld(true);
    frames.push(bones.map((b) => b.getWorldPosition(p).toArray()));
  }
  console.log(JSON.stringify({ names: bones.map((b) => b.name), frames, meshes, skinned: skinned !== null,
    vertices: skinned.geometry.attributes.position.count }));
}, (err) => {
  console.log(JSON.stringify({ error: String(err) }));
});
