// Forward kinematics of a BVH file as three.js plays it: loads it with BVHLoader, drives the
// bones with an AnimationMixer at every frame time, and prints every joint's world position per
// frame as JSON {"names": [...], "frames": [[[x, y, z] per joint] per frame]} (file units).
// End Site bones are left out. Usage: node web/tools/bvh_positions.mjs file.bvh
import { readFileSync } from 'node:fs';
import { AnimationMixer, Group, LoopOnce, Vector3 } from 'three';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';

const result = new BVHLoader().parse(readFileSync(process.argv[2], 'utf8'));
const root = new Group();
root.add(result.skeleton.bones[0]);
const mixer = new AnimationMixer(root);
// Played once and held at the end: a looping action would wrap the last frame's time to 0.
mixer.clipAction(result.clip).setLoop(LoopOnce).play().clampWhenFinished = true;
const bones = result.skeleton.bones.filter((b) => b.name !== 'ENDSITE');
const frameTime = result.clip.tracks[0].times.length > 1 ? result.clip.tracks[0].times[1] : 0;
const count = result.clip.tracks[0].times.length;
const frames = [];
const p = new Vector3();
for (let f = 0; f < count; f++) {
  mixer.setTime(f * frameTime);
  root.updateMatrixWorld(true);
  frames.push(bones.map((b) => b.getWorldPosition(p).toArray()));
}
console.log(JSON.stringify({ names: bones.map((b) => b.name), frames }));
