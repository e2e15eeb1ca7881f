"""Writes a model of two dense 3x3 stride-1 convolutions that the CPU
backends compute through Winograd's F(2x2, 3x3), at shapes where the 2x2
output tiles do not divide the output: batch 2, 32 -> 40 channels on 14x11
with pads 1 and a bias and a Relu (11 columns: the last tile column half
outside), then 40 -> 32 channels with pads (top 0, left 1, bottom 1,
right 2) and no bias (13 x 12 outputs: the last tile row half outside).
Also writes an input and numpy's results (in float64) as the expected
output.

Usage: winograd_model.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
rng = np.random.default_rng(5)
x = rng.normal(0, 1, (2, 32, 14, 11)).astype(np.float32)
w1 = rng.normal(0, 0.1, (40, 32, 3, 3)).astype(np.float32)
b1 = rng.normal(0, 0.2, (40,)).astype(np.float32)
w2 = rng.normal(0, 0.1, (32, 40, 3, 3)).astype(np.float32)


def conv(x, w, pads, b=None):
    top, left, bottom, right = pads
    xp = np.pad(x.astype(np.float64),
                ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh, ow = xp.shape[2] - 2, xp.shape[3] - 2
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,fc->nfhw", xp[:, :, i:i + oh, j:j + ow],
                           w[:, :, i, j].astype(np.float64))
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


y1 = np.maximum(conv(x, w1, (1, 1, 1, 1), b1), 0)
y2 = conv(y1, w2, (0, 1, 1, 2))
nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    # ONNX pads: begins (top, left), then ends (bottom, right).
    helper.make_node("Conv", ["r1", "w2"], ["y"], pads=[0, 1, 1, 2]),
]
graph = helper.make_graph(
    nodes, "winograd",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, y2.shape)],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, os.path.join(out, "winograd.onnx"))
with open(os.path.join(out, "data", "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
with open(os.path.join(out, "data", "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(y2.astype(np.float32), "y")
            .SerializeToString())
