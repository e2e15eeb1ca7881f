"""Writes a chain of 3x3 depthwise convolutions (batch 2, 48 channels) that
the CPU backends compute in their several ways: stride 2 over 57-wide rows
(by regions, in thread tasks of whole channels; a bias and a Clip to
[0, 6]), stride 1 over 29-wide rows (flattened padded rows, the padding
columns dropped per thread task), stride 2 with asymmetric pads (top 0,
left 1, bottom 1, right 0) over 29-wide rows (each task padding its own
channels), and stride 2 on 14x14 (too little work to split). Also writes
an input and numpy's result (in float64) as the expected output.

Usage: depthwise_model.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(11)
channels = 48
x = rng.normal(0, 1, (2, channels, 57, 57)).astype(np.float32)
# (stride, pads [top, left, bottom, right], bias?, clip?)
layers = [(2, [1, 1, 1, 1], True, True), (1, [1, 1, 1, 1], False, False),
          (2, [0, 1, 1, 0], True, False), (2, [1, 1, 1, 1], False, False)]


def depthwise(x, w, stride, pads, b):
    top, left, bottom, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh = (xp.shape[2] - 3) // stride + 1
    ow = (xp.shape[3] - 3) // stride + 1
    y = np.zeros((x.shape[0], x.shape[1], oh, ow))
    for i in range(3):
        for j in range(3):
            window = xp[:, :, i:i + stride * (oh - 1) + 1:stride,
                        j:j + stride * (ow - 1) + 1:stride]
            y += window * w[None, :, 0, i, j, None, None]
    if b is not None:
        y += b[None, :, None, None]
    return y


nodes, inits = [], []
value, name = x.astype(np.float64), "x"
for k, (stride, pads, has_bias, clip) in enumerate(layers):
    w = rng.normal(0, 0.3, (channels, 1, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.2, (channels,)).astype(np.float32) if has_bias else None
    inits.append(numpy_helper.from_array(w, "w%d" % k))
    inputs = [name, "w%d" % k]
    if has_bias:
        inits.append(numpy_helper.from_array(b, "b%d" % k))
        inputs.append("b%d" % k)
    nodes.append(helper.make_node("Conv", inputs, ["c%d" % k], group=channels,
                                  kernel_shape=[3, 3], strides=[stride] * 2,
                                  pads=[pads[0], pads[1], pads[2], pads[3]]))
    value = depthwise(value, w.astype(np.float64), stride, pads,
                      None if b is None else b.astype(np.float64))
    name = "c%d" % k
    if clip:
        for bound, v in (("lo", 0.0), ("hi", 6.0)):
            inits.append(numpy_helper.from_array(np.array(v, np.float32),
                                                 "%s%d" % (bound, k)))
        nodes.append(helper.make_node("Clip", [name, "lo%d" % k, "hi%d" % k],
                                      ["r%d" % k]))
        value = np.clip(value, 0.0, 6.0)
        name = "r%d" % k
nodes.append(helper.make_node("Identity", [name], ["y"]))
graph = helper.make_graph(
    nodes, "depthwise",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(value.shape))],
    inits)
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "depthwise.onnx"))
with open(os.path.join(out, "data", "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
with open(os.path.join(out, "data", "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(value.astype(np.float32), "y")
            .SerializeToString())
