"""Checks report.json's pruning totals: weight bytes and FLOPs must both
shrink by at least MIN_REDUCTION (a fraction). Prints the reductions.

Usage: check_pruning.py REPORT MIN_REDUCTION
"""
import json
import sys

pruning = json.load(open(sys.argv[1]))["pruning"]
wanted = float(sys.argv[2])
failed = False
for what in ("weight_bytes", "flops"):
    before, after = pruning[what + "_before"], pruning[what + "_after"]
    cut = 1.0 - after / before
    print("%s: %d -> %d (-%.1f%%)" % (what, before, after, 100 * cut))
    failed |= cut < wanted
pruned = [l for l in pruning["layers"] if l["sparsity"] > 0]
print("layers pruned: %d of %d" % (len(pruned), len(pruning["layers"])))
sys.exit(1 if failed else 0)
