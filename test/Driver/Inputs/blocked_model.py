"""Writes a model whose contractions are big enough to be blocked, split
among threads and peeled at their edges: a 3x3 convolution 8 -> 40 channels
on 37x37 (im2col, 1369 output columns: several thread tiles and uneven
remainders), its Relu, a depthwise 3x3 convolution with stride 2, and a
MatMul [40, 361] x [361, 270] with a bias, and beside it a Gemm
[40, 361] x [128, 361]^T with a bias and a Relu, whose constant weight
(128 columns) is packed in panels of 64. Also writes an input and numpy's
results as the expected outputs.

Usage: blocked_model.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
rng = np.random.default_rng(11)
x = rng.normal(0, 1, (1, 8, 37, 37)).astype(np.float32)
w1 = rng.normal(0, 0.2, (40, 8, 3, 3)).astype(np.float32)
b1 = rng.normal(0, 0.2, (40,)).astype(np.float32)
wd = rng.normal(0, 0.3, (40, 1, 3, 3)).astype(np.float32)
wm = rng.normal(0, 0.05, (361, 270)).astype(np.float32)
bm = rng.normal(0, 0.1, (270,)).astype(np.float32)
wg = rng.normal(0, 0.05, (128, 361)).astype(np.float32)
bg = rng.normal(0, 0.1, (128,)).astype(np.float32)


def conv(x, w, b=None, stride=1, pad=1, group=1):
    n, c, h, wd_ = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd_ + 2 * pad - kw) // stride + 1
    y = np.zeros((n, f, oh, ow), np.float64)
    per = f // group
    for o in range(f):
        g = o // per
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, o] += np.einsum("nchw,c->nhw", patch, w[o, :, i, j])
        if b is not None:
            y[:, o] += b[o]
    return y


h = np.maximum(conv(x, w1, b1), 0)
d = conv(h, wd, stride=2, group=40)            # [1, 40, 19, 19]
m = d.reshape(40, 361) @ wm + bm              # [40, 270]
expected = m.astype(np.float32)
g = np.maximum(d.reshape(40, 361) @ wg.T.astype(np.float64) + bg, 0)
expected_gemm = g.astype(np.float32)

nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("Conv", ["r1", "wd"], ["dw"], pads=[1, 1, 1, 1],
                     strides=[2, 2], group=40),
    helper.make_node("Reshape", ["dw", "shape"], ["flat"]),
    helper.make_node("MatMul", ["flat", "wm"], ["mm"]),
    helper.make_node("Add", ["mm", "bm"], ["y"]),
    helper.make_node("Gemm", ["flat", "wg", "bg"], ["gm"], transB=1),
    helper.make_node("Relu", ["gm"], ["y2"]),
]
graph = helper.make_graph(
    nodes, "blocked",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [40, 270]),
     helper.make_tensor_value_info("y2", TensorProto.FLOAT, [40, 128])],
    initializer=[numpy_helper.from_array(a, n) for a, n in (
        (w1, "w1"), (b1, "b1"), (wd, "wd"), (wm, "wm"), (bm, "bm"),
        (wg, "wg"), (bg, "bg"),
        (np.array([40, 361], np.int64), "shape"))])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "blocked.onnx"))
for name, array in (("input_0.pb", x), ("output_0.pb", expected),
                    ("output_1.pb", expected_gemm)):
    with open(os.path.join(out, "data", name), "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())
