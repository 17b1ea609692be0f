#!/usr/bin/env python3
"""Attribute accuracy of a model's meaning encoder on a labelled prompt file (action, side, style,
prompt per line; data/prompts/dev.tsv is the development set used to tune it, never a test set).

    scripts/align_dev.py <mogo binary> <model> <prompts.tsv> [-v] [--floors] [--dump F] [--agree F]

--floors prints the expected top-3 of the readings if a style were taken only at or above each
floor (neutral below), with the costs measured on the val split in docs/prompts.md (session 16):
top-3 0.973 for a clip asked for in its own style, 0.712 in the neutral style, 0.415 in another, and
0.1 taken for a wrong action or side. --dump writes the readings as JSON; --agree F reads another
model's dump of the same file and scores taking a style only where both models read it (an
ensemble of two, neutral otherwise).
"""
import json
import subprocess
import sys

TOP3 = {"own": 0.973, "neutral": 0.712, "other": 0.415, "wrong action": 0.1}


def option(name):
    args = sys.argv[4:]
    return args[args.index(name) + 1] if name in args else None


def read_all(mogo, model, rows):
    readings = []
    for action, side, style, prompt in rows:
        out = subprocess.run([mogo, "--threads", "1", "align", "--json", "-m", model, prompt], capture_output=True, text=True)
        r = json.loads(out.stdout.splitlines()[0])
        if "meaning" not in r:  # a training caption, used as typed
            readings.append({"action": action, "side": side, "style": style, "p_style": 1.0, "confident": True})
            continue
        m = r["meaning"]
        readings.append({"action": m["action"] if m["servable"] else "none", "side": m.get("side"),
                         "style": m.get("style"), "p_style": m.get("p_style"), "confident": "style_unclear" not in m})
    return readings


def expected_top3(rows, styles_read, readings):
    total = 0.0
    for (action, side, style, _), got, r in zip(rows, styles_read, readings):
        if r["action"] != action or (action != "none" and r["side"] != side):
            total += TOP3["wrong action"]
        elif action == "none" or got == style:
            total += TOP3["own"]
        else:
            total += TOP3["neutral"] if got == "normal" else TOP3["other"]
    return total / len(rows)


def main():
    mogo, model, path = sys.argv[1:4]
    verbose = "-v" in sys.argv[4:]
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip() and not l.startswith("#")]
    readings = read_all(mogo, model, rows)
    right = {"action": 0, "side": 0, "style": 0, "all": 0}
    for (action, side, style, prompt), r in zip(rows, readings):
        ok = {"action": r["action"] == action,
              "side": action == "none" or r["side"] == side,
              "style": action == "none" or r["style"] == style}
        ok["all"] = all(ok.values())
        for k in right:
            right[k] += ok[k]
        if verbose and not ok["all"]:
            print(f"  {prompt!r}: want {action}/{side}/{style}, got {r['action']}/{r['side']}/{r['style']}")
    n = len(rows)
    print(" ".join(f"{k} {right[k] / n:.3f}" for k in right), f"({n} prompts)")
    if "--floors" in sys.argv[4:]:
        for floor in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99):
            styles = [r["style"] if r["confident"] and r["p_style"] >= floor else "normal" for r in readings]
            print(f"floor {floor:.2f}: expected top-3 {expected_top3(rows, styles, readings):.4f}")
    if option("--dump"):
        json.dump(readings, open(option("--dump"), "w"))
    if option("--agree"):
        other = json.load(open(option("--agree")))
        styles = [r["style"] if r["style"] == o["style"] else "normal" for r, o in zip(readings, other)]
        print(f"both models: expected top-3 {expected_top3(rows, styles, readings):.4f} (this model alone "
              f"{expected_top3(rows, [r['style'] for r in readings], readings):.4f})")


if __name__ == "__main__":
    main()
