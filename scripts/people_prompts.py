#!/usr/bin/env python3
"""Writes the "people" zero-shot prompt sets of docs/prompts.md: for every test clip of a prepared
Bandai dataset, one prompt in each of four writers' styles, from the clip's content and style labels:

    terse    short, clipped requests ("walk fwd, totally beat")
    chatty   long, conversational requests with filler ("ok so picture a guy who ...")
    typos    plain everyday requests with misspellings, doubled or dropped letters
    idioms   figurative speech ("dead on his feet", "full of beans", "like he owns the place")

    scripts/people_prompts.py <bandai-mocap folder> <prepared folder> <out folder>
      -> <out>/terse.tsv, chatty.tsv, typos.tsv, idioms.tsv   (clip id <TAB> prompt)

The phrase lists below were written for this set alone, before and apart from the rewordings the
alignment trains on (data/align/phrases.json), and without the training captions' phrase lists;
they are never used in training or tuning. The script refuses a prompt that is a training caption.
Deterministic (fixed seed)."""
import random
import re
import sys
from pathlib import Path

# Each writer: subjects, actions by group ({side} = left/right, {Side} for terse), styles by label,
# sentence shapes ({S} subject, {A} action, {Y} style phrase).
# A style's "" entry means the writer says nothing about the manner.
WRITERS = {
    "terse": {
        "subjects": [""],
        "actions": {
            "walk": ["walk fwd", "walking straight", "walk ahead", "just walking", "forward walk"],
            "run": ["run fwd", "sprint ahead", "jog forward fast", "running straight", "run"],
            "walk-turn": ["walk then turn {side}", "walk, hang a {side}", "walk + {side} turn", "turn {side} while walking"],
            "raise-up": ["{side} hand up", "raise {side} arm", "{side} arm in the air", "lift {side} hand"],
            "raise-up-both": ["both hands up", "raise both arms", "arms up", "hands in the air"],
            "wave": ["wave {side} hand", "{side} hand wave", "waving with {side} hand", "wave hi, {side} hand"],
            "wave-both": ["wave both hands", "two-handed wave", "wave with both arms", "both hands waving"],
        },
        "styles": {
            "active": ["energetic", "peppy", "lots of energy", "bouncy"],
            "elderly": ["old man", "elderly", "grandpa style", "like a senior"],
            "exhausted": ["totally beat", "exhausted", "tired af", "wiped"],
            "feminine": ["girly", "feminine", "graceful, ladylike", "womanly"],
            "masculine": ["manly", "macho", "tough guy", "manly, broad"],
            "normal": ["", "neutral", "normal", "nothing special"],
            "youthful": ["young", "kid-like", "teen vibe", "youthful"],
        },
        "shapes": ["{A}, {Y}", "{Y} - {A}", "{A}. {Y}.", "{A} ({Y})"],
    },
    "chatty": {
        "subjects": ["this guy", "a woman", "my neighbour", "some random person", "the main character", "a dancer",
                     "my uncle", "a girl"],
        "actions": {
            "walk": ["heads off down the street on foot", "just keeps walking straight ahead", "goes for a little walk forward",
                     "sets off walking in a straight line"],
            "run": ["takes off running as fast as they can", "goes for a quick run straight ahead", "breaks into a run",
                    "is running forward, like late for a bus"],
            "walk-turn": ["walks a few steps and then turns off to the {side}", "is walking and then takes a {side} turn",
                          "walks along and then changes direction to the {side}", "makes a {side} turn while walking"],
            "raise-up": ["puts their {side} hand up like they have a question", "sticks the {side} arm up in the air",
                         "raises the {side} hand as if volunteering", "lifts the {side} arm way up above the head"],
            "raise-up-both": ["throws both arms up in the air", "puts both hands up over the head",
                              "raises both arms like they just won something", "reaches both hands up high"],
            "wave": ["waves at a friend with the {side} hand", "gives a wave with the {side} hand",
                     "waves hello using their {side} hand", "is waving the {side} hand at someone across the room"],
            "wave-both": ["waves both hands at someone far away", "waves with both arms to get attention",
                          "gives a big two-handed wave", "waves hello with both hands"],
        },
        "styles": {
            "active": ["and is really full of energy about it", "super enthusiastically", "with tons of energy, very lively",
                       "all excited and bouncy"],
            "elderly": ["but slowly, like an old man would", "the way my grandpa does it", "like a really old person",
                        "kind of frail, like someone in their eighties"],
            "exhausted": ["but they're completely worn out", "like they haven't slept in days", "totally exhausted",
                          "looking super tired"],
            "feminine": ["in a really feminine, graceful way", "all elegant and ladylike", "in a girly way",
                         "very gracefully, like a lady"],
            "masculine": ["in a really manly way", "all macho about it", "like a tough guy", "in a very masculine way"],
            "normal": ["", "nothing fancy, just normally", "in a totally ordinary way", "just normally"],
            "youthful": ["like a young kid would", "in a young, teenage kind of way", "all youthful and fresh",
                         "like a little kid"],
        },
        "shapes": ["ok so {S} {A}, {Y}.", "can you show {S} that {A} {Y}?", "imagine {S} who {A}, {Y}.",
                   "i'd like to see {S} that {A} {Y}, thanks", "so basically {S} {A} {Y}"],
    },
    "typos": {
        "subjects": ["a man", "a woman", "someone", "the guy", "a lady", "a persn"],
        "actions": {
            "walk": ["walks forwrd", "walk straight ahaed", "is waking forward", "goes foward on foot"],
            "run": ["runs forwrd", "is runing ahead", "runs fast straigth ahead", "sprints foward"],
            "walk-turn": ["walks and turns {side}", "is walkng then turns to the {side}", "walks foward and turns {side}",
                          "turns {side} wile walking"],
            "raise-up": ["raises his {side} hand", "lifts her {side} arm up", "puts the {side} hand up",
                         "raises {side} hnad up"],
            "raise-up-both": ["raises both hnads", "lifts both arms up", "puts both hands up hight", "raise both arms up"],
            "wave": ["waves his {side} hand", "wave with the {side} hand", "waves {side} hand hello", "is wavng the {side} hand"],
            "wave-both": ["waves both hands", "wave with both arms", "waves both hands hello", "is waving bth hands"],
        },
        "styles": {
            "active": ["energeticaly", "very actively", "full of enrgy", "lively"],
            "elderly": ["like an old man", "like an elderley person", "like an old lady", "like a grandpa"],
            "exhausted": ["very tierd", "exausted", "really tired", "worn out"],
            "feminine": ["femininely", "like a lady", "in a feminin way", "gracefuly"],
            "masculine": ["in a manly way", "masculinely", "like a macho man", "like a strong man"],
            "normal": ["", "normaly", "normally", "in a normal way"],
            "youthful": ["like a young person", "youthfully", "like a teenagr", "like a kid"],
        },
        "shapes": ["{S} {A} {Y}", "{S} {A}, {Y}", "{Y} {S} {A}"],
    },
    "idioms": {
        "subjects": ["an old-timer", "a tough cookie", "the new kid", "a night owl", "a social butterfly", "the boss",
                     "a couch potato", "the life of the party"],
        "actions": {
            "walk": ["hits the road on foot", "puts one foot in front of the other", "heads straight down the road",
                     "makes tracks forward"],
            "run": ["runs like the wind", "bolts off like a shot", "legs it straight ahead", "runs for dear life"],
            "walk-turn": ["walks on and rounds the corner to the {side}", "walks ahead, then hangs a {side}",
                          "strolls and swings off to the {side}", "walks and takes the {side} fork"],
            "raise-up": ["shoots the {side} hand up", "sticks up the {side} hand", "puts the {side} mitt in the air",
                         "reaches for the sky with the {side} hand"],
            "raise-up-both": ["throws both hands up to the heavens", "reaches for the sky with both hands",
                              "puts both mitts in the air", "throws up both arms"],
            "wave": ["flags someone down with the {side} hand", "waves the {side} hand like a long-lost friend",
                     "gives a wave with the {side} paw", "waves the {side} hand hello"],
            "wave-both": ["waves both arms like flagging down a taxi", "waves both hands like a castaway",
                          "flags a plane down with both arms", "waves both paws hello"],
        },
        "styles": {
            "active": ["full of beans", "bright-eyed and bushy-tailed", "raring to go", "full of get-up-and-go"],
            "elderly": ["long in the tooth", "creaky with age", "like an old geezer", "over the hill"],
            "exhausted": ["dead on their feet", "running on fumes", "dog-tired", "on their last legs"],
            "feminine": ["like a prima donna", "like a southern belle", "prim and proper like a lady", "with feminine poise"],
            "masculine": ["like he owns the place", "all swagger", "like a tough hombre", "puffed up like a big shot"],
            "normal": ["", "run-of-the-mill", "plain and simple", "same old, same old"],
            "youthful": ["young at heart", "like a spring chicken", "fresh-faced", "like a whippersnapper"],
        },
        "shapes": ["{S} {A}, {Y}.", "{Y}, {S} {A}.", "{S}, {Y}, {A}."],
    },
}


def words(text):
    return re.findall(r"[a-z][a-z\-']*", text.lower())


def clip_labels(raw):
    labels = {}
    for line in (raw / "labels.tsv").read_text().splitlines()[1:]:
        cid, _, content, style, _ = line.split("\t")
        labels[cid] = (content, style)
    return labels


def group_and_side(content, mirrored):
    """walk-turn-left -> ("walk-turn", "left"); raise-up-both-hands -> ("raise-up-both", "")."""
    m = re.match(r"(.*?)-(left|right)(-hand)?$", content)
    if not m:
        return {"raise-up-both-hands": "raise-up-both", "wave-both-hands": "wave-both"}.get(content, content), ""
    side = m.group(2)
    if mirrored:
        side = "left" if side == "right" else "right"
    return m.group(1), side


def prompt_for(writer, group, side, style, rng):
    w = WRITERS[writer]
    action = rng.choice(w["actions"][group]).format(side=side)
    style_phrase = rng.choice(w["styles"][style])
    text = rng.choice(w["shapes"]).format(S=rng.choice(w["subjects"]), A=action, Y=style_phrase)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.?])", r"\1", text)
    text = re.sub(r",+", ",", text)
    text = re.sub(r"^[,.\-\s]+|[,\-\s]+$|\(\)|, ,", "", text).replace(" ()", "").replace(" - ", " - ").strip()
    text = re.sub(r"^- ", "", text)
    return text


def main():
    raw, prepared, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    labels = clip_labels(raw)
    train_captions = set()
    for cid in (prepared / "train.txt").read_text().split():
        for line in (prepared / "texts" / f"{cid}.txt").read_text().splitlines():
            train_captions.add(line.split("#")[0].strip().lower())
    out.mkdir(parents=True, exist_ok=True)
    for writer in WRITERS:
        rng = random.Random("people-" + writer)
        rows = []
        for cid in (prepared / "test.txt").read_text().split():
            mirrored = cid.startswith("M") and cid[1:] in labels
            content, style = labels[cid[1:] if mirrored else cid]
            group, side = group_and_side(content, mirrored)
            p = prompt_for(writer, group, side, style, rng)
            if p.lower().rstrip(".") + "." in train_captions:
                sys.exit(f"{cid}: prompt is a training caption: {p}")
            rows.append((cid, p))
        with open(out / f"{writer}.tsv", "w") as f:
            f.write(f"# zero-shot prompts, writer '{writer}' (scripts/people_prompts.py): clip id <TAB> prompt\n")
            for cid, p in rows:
                f.write(f"{cid}\t{p}\n")


if __name__ == "__main__":
    main()
