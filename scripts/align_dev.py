#!/usr/bin/env python3
"""Attribute accuracy of a model's meaning encoder on a labelled prompt file (action, side, style,
prompt per line; data/prompts/dev.tsv is the development set used to tune it, never a test set).

    scripts/align_dev.py <mogo binary> <model> <prompts.tsv> [-v]
"""
import json
import subprocess
import sys


def main():
    mogo, model, path = sys.argv[1:4]
    verbose = "-v" in sys.argv[4:]
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip() and not l.startswith("#")]
    right = {"action": 0, "side": 0, "style": 0, "all": 0}
    for action, side, style, prompt in rows:
        out = subprocess.run([mogo, "--threads", "1", "align", "--json", "-m", model, prompt], capture_output=True, text=True)
        r = json.loads(out.stdout.splitlines()[0])
        if "meaning" not in r:  # a training caption, used as typed
            for k in right:
                right[k] += 1
            continue
        m = r["meaning"]
        got_action = m["action"] if m["servable"] else "none"
        ok = {"action": got_action == action,
              "side": action == "none" or m.get("side") == side,
              "style": action == "none" or m.get("style") == style}
        ok["all"] = all(ok.values())
        for k in right:
            right[k] += ok[k]
        if verbose and not ok["all"]:
            print(f"  {prompt!r}: want {action}/{side}/{style}, got {got_action}/{m.get('side')}/{m.get('style')}")
    n = len(rows)
    print(" ".join(f"{k} {right[k] / n:.3f}" for k in right), f"({n} prompts)")


if __name__ == "__main__":
    main()
