"""Checks a --quantize adaptive build against its own report and against an
error measured here, from outputs deepseek-run wrote.

Usage: check_adaptive.py REPORT.json ADAPTIVE_OUTPUT_0.pb FLOAT_OUTPUT_0.pb
Fails unless: the measured error (here and in the report, which must agree)
is within max_error; every layer the search chose for has its error alone at
2, 4 and 8 bits, narrower widths erring more; and the byte totals are the
sum of the layers'. Prints `bits NODE=BITS ...` for FileCheck.
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    tensor = onnx.TensorProto()
    tensor.ParseFromString(open(path, "rb").read())
    return numpy_helper.to_array(tensor).astype(np.float64).ravel()


record = json.load(open(sys.argv[1]))["quantization"]
y, ref = load(sys.argv[2]), load(sys.argv[3])
error = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
failures = []
if record["mode"] != "adaptive":
    failures.append("mode %r" % record["mode"])
if error > record["max_error"]:
    failures.append("error %g over max_error %g" % (error, record["max_error"]))
if abs(error - record["measured_error"]) > 1e-6 + 1e-4 * error:
    failures.append("error %g here, %g in the report" %
                    (error, record["measured_error"]))
chosen = [layer for layer in record["layers"] if "error_alone" in layer]
for layer in chosen:
    alone = layer["error_alone"]
    if not (alone["2"] >= alone["4"] >= alone["8"] > 0):
        failures.append("%s: error alone %r" % (layer["node"], alone))
for key in ("weight_bytes", "weight_bytes_fp32"):
    if sum(layer[key] for layer in chosen) != record[key]:
        failures.append("%s is not the layers' sum" % key)
print("error %.4g" % error)
print("bits " + " ".join("%s=%d" % (l["node"], l["bits"]) for l in chosen))
for failure in failures:
    print("FAIL: " + failure)
sys.exit(1 if failures else 0)
