// Forward kinematics of glTF binaries (.glb) as three.js plays them: loads each with GLTFLoader,
// plays its first animation with an AnimationMixer at every key time, and prints one JSON line
// per file: {"file", "names", "frames": [[[x, y, z] per joint] per frame], "meshes", "skinned",
// "vertices"} (or {"file", "error"}). Usage: node web/tools/gltf_positions.mjs a.glb [b.glb ...]
import { readFileSync } from 'node:fs';
import { AnimationMixer, LoopOnce, Vector3 } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';

function positions(file) {
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return new Promise((resolve) => new GLTFLoader().parse(buffer, '', (gltf) => {
    let skinned = null;
    let meshes = 0;
    gltf.scene.traverse((o) => {
      if (o.isMesh) meshes++;
      if (o.isSkinnedMesh) skinned = o;
    });
    if (!skinned) return resolve({ file, error: 'no skinned mesh' });
    const bones = skinned.skeleton.bones;
    const clip = gltf.animations[0];
    const mixer = new AnimationMixer(gltf.scene);
    // Played once and held at the end: a looping action would wrap the last frame's time to 0.
    mixer.clipAction(clip).setLoop(LoopOnce).play().clampWhenFinished = true;
    const frames = [];
    const p = new Vector3();
    for (const t of clip.tracks[0].times) {
      mixer.setTime(t);
      gltf.scene.updateMatrixWorld(true);
      frames.push(bones.map((b) => b.getWorldPosition(p).toArray()));
    }
    resolve({ file, names: bones.map((b) => b.name), frames, meshes, skinned: true,
      vertices: skinned.geometry.attributes.position.count });
  }, (err) => resolve({ file, error: String(err) })));
}

for (const file of process.argv.slice(2)) console.log(JSON.stringify(await positions(file)));
