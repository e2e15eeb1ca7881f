"""Writes small float models big enough to get register-tiled kernels, with
one input set each and float64 numpy reference outputs.

Usage: cpu_models.py OUTDIR
  OUTDIR/matmul.onnx: x[32,96] @ w[96,64] + b, then Relu
  OUTDIR/conv.onnx:   x[1,8,18,18] -> Conv 3x3, 16 channels, pad 1 -> Relu
  OUTDIR/<name>/input_0.pb, OUTDIR/<name>/output_0.pb
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(11)


def save(graph, name, x, y):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    os.makedirs(os.path.join(out, name), exist_ok=True)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for kind, t in (("input", x), ("output", y)):
        with open(os.path.join(out, name, kind + "_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(t.astype(np.float32)).SerializeToString())


x = rng.normal(0, 1, (32, 96)).astype(np.float32)
w = rng.normal(0, 0.2, (96, 64)).astype(np.float32)
b = rng.normal(0, 0.1, 64).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["m"], name="mm"),
     helper.make_node("Add", ["m", "b"], ["a"], name="bias"),
     helper.make_node("Relu", ["a"], ["y"], name="relu")],
    "matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [32, 96])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [32, 64])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
save(graph, "matmul", x,
     np.maximum(x.astype(np.float64) @ w.astype(np.float64) + b, 0))

x = rng.normal(0, 1, (1, 8, 18, 18)).astype(np.float32)
w = rng.normal(0, 0.2, (16, 8, 3, 3)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
     helper.make_node("Relu", ["c"], ["y"], name="relu")],
    "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 18, 18])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 18, 18])],
    [numpy_helper.from_array(w, "w")])
padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
y = np.zeros((1, 16, 18, 18))
for i in range(3):
    for j in range(3):
        y += np.einsum("oc,nchw->nohw", w[:, :, i, j],
                       padded[:, :, i:i + 18, j:j + 18])
save(graph, "conv", x, np.maximum(y, 0))
