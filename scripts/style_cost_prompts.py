#!/usr/bin/env python3
"""Prompt sets that measure what a wrong style costs (docs/prompts.md, "A style no more likely than
not is not guessed"): for every clip of a split, a training caption of a clip with the same action
and side and
  same    the same style (what a right reading is aligned to),
  normal  the neutral style ("normal"),
  wrong   another style, neither its own nor normal, at random,
  own     the clip's own first caption,
  mixN / mixW   `same` with a fifth of the clips (the same ones) taken from `normal` / `wrong`.
Training captions are used as typed by `mogo eval --prompts`, so these measure the generator and
the evaluator alone, not the meaning encoder. Writes <out>/<split>-<set>.tsv.

    scripts/style_cost_prompts.py <prepared data> <labels.tsv> <out dir> [split] [seed]
"""
import collections
import json
import os
import random
import sys

# Style labels of one meaning, as train-align merges them ("old" -> "elderly").
SAME_STYLE = json.load(open(os.path.join(os.path.dirname(__file__), "..", "data", "align", "phrases.json")))["same_style"]


def main():
    data, labels_path, out = sys.argv[1:4]
    split = sys.argv[4] if len(sys.argv) > 4 else "val"
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    labels = {}
    for line in open(labels_path):
        f = line.rstrip("\n").split("\t")
        if f[0] != "id":
            labels[f[0]] = (f[2], SAME_STYLE.get(f[3], f[3]))

    def label(clip):  # a mirrored clip ("M" + id) swaps left and right
        if clip in labels:
            return labels[clip]
        content, style = labels[clip[1:]]
        return content.replace("left", "LEFT").replace("right", "left").replace("LEFT", "right"), style

    def caption(clip):
        return open(os.path.join(data, "texts", clip + ".txt")).readline().split("#")[0].strip()

    def ids(name):
        return [l.strip() for l in open(os.path.join(data, name + ".txt")) if l.strip()]

    by = collections.defaultdict(list)
    for clip in ids("train"):
        by[label(clip)].append(clip)
    styles = sorted({s for _, s in by})
    sets = collections.defaultdict(list)
    clips = ids(split)
    for clip in clips:
        content, style = label(clip)
        same = by.get((content, style)) or [clip]
        sets["own"].append(caption(clip))
        sets["same"].append(caption(rng.choice(same)))
        sets["normal"].append(caption(rng.choice(by.get((content, "normal")) or same)))
        other = [s for s in styles if s not in (style, "normal") and by.get((content, s))]
        sets["wrong"].append(caption(rng.choice(by[(content, rng.choice(other))] if other else same)))
    fifth = set(rng.sample(range(len(clips)), len(clips) // 5))
    for mix, source in (("mixN", "normal"), ("mixW", "wrong")):
        sets[mix] = [sets[source][i] if i in fifth else sets["same"][i] for i in range(len(clips))]
    os.makedirs(out, exist_ok=True)
    for name, prompts in sets.items():
        with open(os.path.join(out, f"{split}-{name}.tsv"), "w") as f:
            f.writelines(f"{c}\t{p}\n" for c, p in zip(clips, prompts))


if __name__ == "__main__":
    main()
