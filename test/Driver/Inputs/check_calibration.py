"""Checks the activation ranges a static-int8 build calibrated against the
layer inputs computed here with numpy from the model's own weights.

Usage: check_calibration.py MODEL.onnx CALIBRATION_DIR REPORT.json
The model is quant_models.py's MLP (fc1 = Gemm on x, fc2 = MatMul on
relu(fc1)). For minmax the ranges must be the inputs' extremes; for
percentile, the values at the nearest ranks (one rank of slack for ties in
rounding). Prints each layer's range.
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
sets = []
for path in sorted(glob.glob(os.path.join(sys.argv[2], "*", "input_0.pb"))):
    tensor = onnx.TensorProto()
    tensor.ParseFromString(open(path, "rb").read())
    sets.append(numpy_helper.to_array(tensor))
fc1_in = np.concatenate([x.ravel() for x in sets])
fc2_in = np.concatenate([
    np.maximum(x @ weights["w1"].T + weights["b1"], 0).ravel() for x in sets])
record = json.load(open(sys.argv[3]))["quantization"]
method = record["calibration"]["method"]
failures = []
for node, values in (("fc1", fc1_in), ("fc2", fc2_in)):
    layer = next(l for l in record["layers"] if l["node"] == node)
    lo, hi = layer["activation_range"]
    print("%s %s [%.4f, %.4f]" % (node, method, lo, hi))
    ordered = np.sort(values.astype(np.float64))
    if method == "minmax":
        want = [(ordered[0], ordered[0]), (ordered[-1], ordered[-1])]
    else:
        p = record["calibration"]["percentile"]
        last = len(ordered) - 1
        ranks = [round((100 - p) / 100 * last), round(p / 100 * last)]
        want = [(ordered[max(r - 1, 0)], ordered[min(r + 1, last)])
                for r in ranks]
    for got, (low, high) in zip((lo, hi), want):
        slack = 1e-5 * max(1.0, abs(got))
        if not (low - slack <= got <= high + slack):
            failures.append("%s: %g not in [%g, %g]" % (node, got, low, high))
for failure in failures:
    print("FAIL: " + failure)
sys.exit(1 if failures else 0)
