// Loads a BVH file with three.js's BVHLoader (what the web viewer uses) and prints what it saw
// as JSON: bones, frames, duration, and the first bone's world position at time 0.
// Usage: node web/tools/check_bvh.mjs file.bvh
import { readFileSync } from 'node:fs';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';

const text = readFileSync(process.argv[2], 'utf8');
const result = new BVHLoader().parse(text);
const bones = result.skeleton.bones;
const clip = result.clip;
const frames = clip.tracks.length ? clip.tracks[0].times.length : 0;
console.log(JSON.stringify({ bones: bones.length, tracks: clip.tracks.length, frames, duration: clip.duration,
  root: bones[0].name }));
