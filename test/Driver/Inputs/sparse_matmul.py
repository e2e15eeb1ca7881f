"""Writes y = x @ W with a [128, 64] weight that is half exact zeros (and
one -0.0, which must survive bit for bit), an input, and numpy's product as
the expected output.

Usage: sparse_matmul.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
rng = np.random.default_rng(5)
w = rng.normal(0, 1, (128, 64)).astype(np.float32)
w[rng.random(w.shape) < 0.5] = 0.0
w[3, 7] = -0.0
x = rng.normal(0, 1, (4, 128)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "sparse",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 128])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])],
    initializer=[numpy_helper.from_array(w, "w")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "sparse.onnx"))
for name, array in (("input_0.pb", x), ("output_0.pb", x @ w)):
    with open(os.path.join(out, "data", name), "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())
