"""Writes a NonZero model over a [3, 4, 5] float input, an input with some
zeros (and a NaN, which counts as non-zero) and numpy's nonzero of it as the
expected output.

Usage: nonzero.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
graph = helper.make_graph(
    [helper.make_node("NonZero", ["x"], ["where"], name="nz")], "nonzero",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 5])],
    [helper.make_tensor_value_info("where", TensorProto.INT64, [3, None])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.save(model, os.path.join(out, "nonzero.onnx"))

x = np.random.default_rng(7).standard_normal((3, 4, 5)).astype(np.float32)
x[np.abs(x) < 0.8] = 0.0
x[1, 2, 3] = np.nan
for name, array in (("input_0.pb", x), ("output_0.pb", np.array(np.nonzero(x)))):
    with open(os.path.join(out, "data", name), "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())
