"""Writes a model of two dense 3x3 stride-1 convolutions that the CPU
backends compute through Winograd's F(2x2, 3x3), at shapes where the 2x2
output tiles do not divide the output: batch 2, 32 -> 40 channels on 14x11
with pads 1 and a bias and a Relu (11 columns: the last tile column half
outside), then 40 -> 32 channels with pads (top 0, left 1, bottom 1,
right 2) and no bias (13 x 12 outputs: the last tile row half outside).
Also writes an input and numpy's results (in float64) as the expected
output. In OUTDIR/chunks, a 40 -> 32 channel convolution on 64x63 whose
transformed input (2.6 MB) goes in two thread-pool chunks of 16 tile rows.

Usage: winograd_model.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
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


def write(name, data, nodes, x, y, weights):
    """Saves OUTDIR/<name>.onnx (input x, output y, `weights` as
    initializers) and x and y as OUTDIR/<data>/input_0.pb, output_0.pb."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y.shape)],
        [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    os.makedirs(os.path.join(out, data), exist_ok=True)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    with open(os.path.join(out, data, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    with open(os.path.join(out, data, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y.astype(np.float32), "y")
                .SerializeToString())


y1 = np.maximum(conv(x, w1, (1, 1, 1, 1), b1), 0)
y2 = conv(y1, w2, (0, 1, 1, 2))
write("winograd", "data", [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    # ONNX pads: begins (top, left), then ends (bottom, right).
    helper.make_node("Conv", ["r1", "w2"], ["y"], pads=[0, 1, 1, 2]),
], x, y2, {"w1": w1, "b1": b1, "w2": w2})

# Two chunks of tile rows: 16 x 40 channels x 32 x 32 tiles x 4 bytes is
# over the 2 MB a chunk may take.
xc = rng.normal(0, 1, (1, 40, 64, 63)).astype(np.float32)
wc = rng.normal(0, 0.1, (32, 40, 3, 3)).astype(np.float32)
bc = rng.normal(0, 0.2, (32,)).astype(np.float32)
write("chunks", "chunks",
      [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
      xc, conv(xc, wc, (1, 1, 1, 1), bc), {"w": wc, "b": bc})
