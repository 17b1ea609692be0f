// Forward kinematics of BVH files as three.js plays them: loads each with BVHLoader, drives the
// bones with an AnimationMixer at every frame time, and prints one JSON line per file:
// {"file", "names": [...], "frames": [[[x, y, z] per joint] per frame]} (file units). End Site
// bones are left out. Usage: node web/tools/bvh_positions.mjs a.bvh [b.bvh ...]
import { readFileSync } from 'node:fs';
import { AnimationMixer, Group, LoopOnce, Vector3 } from 'three';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';

for (const file of process.argv.slice(2)) {
  const result = new BVHLoader().parse(readFileSync(file, 'utf8'));
  const root = new Group();
  root.add(result.skeleton.bones[0]);
  const mixer = new AnimationMixer(root);
  // Played once and held at the end: a looping action would wrap the last frame's time to 0.
  mixer.clipAction(result.clip).setLoop(LoopOnce).play().clampWhenFinished = true;
  const bones = result.skeleton.bones.filter((b) => b.name !== 'ENDSITE');
  const times = result.clip.tracks[0].times;
  const frames = [];
  const p = new Vector3();
  for (const t of times) {
    mixer.setTime(t);
    root.updateMatrixWorld(true);
    frames.push(bones.map((b) => b.getWorldPosition(p).toArray()));
  }
  console.log(JSON.stringify({ file, names: bones.map((b) => b.name), frames }));
}
