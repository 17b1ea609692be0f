#!/usr/bin/env python3
"""Writes the zero-shot prompt set of docs/prompts.md: one prompt per test clip of a prepared
Bandai dataset, in wording that no training caption uses (other subjects, verbs, adverbs and
sentence shapes), built from the clip's content and style labels.

    scripts/zero_shot_prompts.py <bandai-mocap folder> <prepared folder> > data/prompts/zero-shot-test.tsv

It checks that no prompt occurs among the training captions and that every word of every prompt
outside a short list (articles, sides, "hand"/"arm", "both") is absent from the training captions,
and exits non-zero otherwise. Deterministic (fixed seed)."""
import random
import re
import sys
from pathlib import Path

SUBJECTS = ["this fellow", "my buddy", "the lady", "a gentleman", "some dude", "a chap", "the stranger", "our hero"]

# content label -> (third person, base form) phrases; {side} is left/right.
CONTENT = {
    "walk": [("strolls ahead", "stroll ahead"), ("ambles along", "amble along"), ("wanders onward", "wander onward"),
             ("paces ahead", "pace ahead"), ("marches on", "march on")],
    "run": [("races ahead", "race ahead"), ("scampers onward", "scamper onward"), ("rushes ahead", "rush ahead"),
            ("hurries along at full speed", "hurry along at full speed")],
    "walk-turn": [("strolls ahead and veers {side}", "stroll ahead and veer {side}"),
                  ("wanders on before swinging round to the {side}", "wander on before swinging round to the {side}"),
                  ("paces ahead, bearing {side}", "pace ahead, bearing {side}"),
                  ("ambles along and pivots {side}", "amble along and pivot {side}")],
    "raise-up-hand": [("hoists the {side} arm", "hoist the {side} arm"),
                      ("holds the {side} hand high", "hold the {side} hand high"),
                      ("reaches the {side} hand skyward", "reach the {side} hand skyward"),
                      ("elevates the {side} arm overhead", "elevate the {side} arm overhead")],
    "raise-up-both-hands": [("hoists both arms", "hoist both arms"), ("holds both hands high", "hold both hands high"),
                            ("stretches both arms overhead", "stretch both arms overhead"),
                            ("reaches skyward with both hands", "reach skyward with both hands")],
    "wave-hand": [("flaps the {side} hand hello", "flap the {side} hand hello"),
                  ("signals hi with the {side} hand", "signal hi with the {side} hand"),
                  ("greets somebody using the {side} hand", "greet somebody using the {side} hand"),
                  ("wiggles the {side} hand in greeting", "wiggle the {side} hand in greeting")],
    "wave-both-hands": [("flaps both hands hello", "flap both hands hello"),
                        ("signals hi with both arms", "signal hi with both arms"),
                        ("greets somebody using both hands", "greet somebody using both hands"),
                        ("swings both arms back and forth in greeting", "swing both arms back and forth in greeting")],
}

STYLE = {
    "active": ["vigorously", "with gusto", "full of pep", "zestfully"],
    "elderly": ["like a grandpa", "like an old-timer", "frailly", "like a pensioner"],
    "exhausted": ["sluggishly", "drained of strength", "in a worn-out fashion", "listlessly"],
    "feminine": ["in a ladylike fashion", "daintily", "like a ballerina", "elegantly"],
    "masculine": ["in a macho fashion", "gruffly", "like a bodybuilder", "brawnily"],
    "normal": ["", "plainly", "in an ordinary fashion", "casually"],
    "youthful": ["like a teenager", "boyishly", "in a juvenile fashion", "sprightly"],
}

SHAPES = ["{S} {C} {Y}.", "{Y}, {S} {C}.", "here {S} {C} {Y}.", "we see {S} {B} {Y}.", "i want {S} to {B} {Y}."]

ALLOWED = {"a", "an", "the", "to", "and", "with", "in", "of", "on", "at", "like", "i", "we", "left", "right", "both", "hand",
           "hands", "arm", "arms", "up", "back"}


def words(text):
    return re.findall(r"[a-z][a-z\-']*", text.lower())


def main():
    raw, prepared = Path(sys.argv[1]), Path(sys.argv[2])
    labels = {}
    for line in (raw / "labels.tsv").read_text().splitlines()[1:]:
        cid, _, content, style, _ = line.split("\t")
        labels[cid] = (content, style)
    train_captions, vocab = set(), set()
    for cid in (prepared / "train.txt").read_text().split():
        for line in (prepared / "texts" / f"{cid}.txt").read_text().splitlines():
            cap = line.split("#")[0].strip().lower()
            train_captions.add(cap)
            vocab.update(words(cap))
    rng = random.Random(2412)
    out = []
    for cid in (prepared / "test.txt").read_text().split():
        mirrored = cid.startswith("M") and cid[1:] in labels
        content, style = labels[cid[1:] if mirrored else cid]
        side = ""
        m = re.match(r"(.*?)-(left|right)(-hand)?$", content)
        if m:
            side = m.group(2)
            if mirrored:
                side = "left" if side == "right" else "right"
            content = m.group(1) + (m.group(3) or "")
        key = {"raise-up": "raise-up-hand", "wave": "wave-hand"}.get(content, content)
        third, base = rng.choice(CONTENT[key])
        adverb = rng.choice(STYLE[style])
        shape = rng.choice(SHAPES)
        prompt = shape.format(S=rng.choice(SUBJECTS), C=third.format(side=side), B=base.format(side=side), Y=adverb)
        prompt = re.sub(r"\s+", " ", prompt).replace(" .", ".").replace(" ,", ",").strip()
        prompt = re.sub(r"^, ", "", prompt)
        if prompt.startswith(("here", "we", "i ")) is False:
            prompt = prompt[0].upper() + prompt[1:]
        out.append((cid, prompt))
    bad = []
    for cid, p in out:
        if p.lower() in train_captions:
            bad.append(f"{cid}: prompt is a training caption: {p}")
        seen = sorted(w for w in set(words(p)) if w in vocab and w not in ALLOWED)
        if seen:
            bad.append(f"{cid}: training-caption words {seen}: {p}")
    if bad:
        sys.stderr.write("\n".join(bad) + "\n")
        sys.exit(1)
    print("# zero-shot prompts for the test split (scripts/zero_shot_prompts.py): clip id <TAB> prompt")
    for cid, p in out:
        print(f"{cid}\t{p}")


if __name__ == "__main__":
    main()
