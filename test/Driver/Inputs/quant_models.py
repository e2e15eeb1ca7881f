"""Writes models for the quantization tests, with inputs and float64
numpy references.

Usage: quant_models.py OUTDIR
  OUTDIR/mlp.onnx, OUTDIR/mlp/input_0.pb, OUTDIR/mlp/reference.npy
    x[8,64] -> Gemm(transB, 64->48) -> Relu -> MatMul(48->16) -> Add(bias)
  OUTDIR/nbits.onnx, OUTDIR/nbits/input_0.pb, OUTDIR/nbits/output_0.pb
    com.microsoft MatMulNBits: x[3,40] with 4-bit weights [8, 40] in blocks
    of 16 (K = 40 is padded to 48), packed zero points and a bias; the
    reference dequantizes the weights as the op's documentation defines.
  OUTDIR/nbits_rows.onnx, ...: the same with 20 rows and 192 columns
  OUTDIR/qdq.onnx, OUTDIR/qdq/input_0.pb, OUTDIR/qdq/reference.npy
    the MLP as a QDQ model (what ONNX Runtime's static quantizer writes):
    uint8 activations per tensor, int8 weights per output channel with
    zero points 0, around MatMul + bias + Relu and Gemm(transB); the
    reference applies the same quantize/dequantize steps in float64
  OUTDIR/cnn.onnx, OUTDIR/cnn/input_0.pb, OUTDIR/cnn/reference.npy
    x[2,5,10,10] -> Conv(3x3, stride 2, pad 1, bias) -> Relu ->
    Conv(3x3, dilations [2, 1], pads [2, 1, 2, 1], bias) -> Conv(1x1,
    16 -> 4: too few channels for int8, so it stays float)
  OUTDIR/calibration/set_{0,1}/input_0.pb: two more inputs for the MLP
  OUTDIR/badcal/input_0.pb: an input of the wrong shape for it, [8, 32]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(5)


def save(model, name, inputs, outputs=None, reference=None):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for i, x in enumerate(inputs):
        with open(os.path.join(out, name, "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(x).SerializeToString())
    for i, y in enumerate(outputs or []):
        with open(os.path.join(out, name, "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(y).SerializeToString())
    if reference is not None:
        np.save(os.path.join(out, name, "reference.npy"), reference)


# MLP: Gemm + Relu + MatMul + Add.
w1 = rng.normal(0, 0.2, (48, 64)).astype(np.float32)
b1 = rng.normal(0, 0.1, 48).astype(np.float32)
w2 = rng.normal(0, 0.2, (48, 16)).astype(np.float32)
b2 = rng.normal(0, 0.1, 16).astype(np.float32)
x = rng.normal(0, 1, (8, 64)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
     helper.make_node("Relu", ["h"], ["r"], name="relu"),
     helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
     helper.make_node("Add", ["m", "b2"], ["y"], name="bias2")],
    "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 16])],
    [numpy_helper.from_array(a, n)
     for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
x64 = x.astype(np.float64)
reference = np.maximum(x64 @ w1.T.astype(np.float64) + b1, 0) @ w2 + b2
save(model, "mlp", [x], reference=reference)
for name, shape in (("calibration/set_0", (8, 64)), ("calibration/set_1", (8, 64)),
                    ("badcal", (8, 32))):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    with open(os.path.join(out, name, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(
            rng.normal(0, 1, shape).astype(np.float32), "x").SerializeToString())

# MatMulNBits, 4 bits, blocks of 16, K = 40 (padded to whole blocks): a
# few rows (the column-vector kernel), and 20 rows with N = 192 (tiles of
# unpacked groups, 64 columns each, through the GEMM kernel).
def save_nbits(name, rows, K, N, bits=4, block=16):
    blocks = (K + block - 1) // block
    codes = rng.integers(0, 16, (N, blocks * block)).astype(np.uint8)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).reshape(N, blocks, block // 2)
    scales = rng.uniform(0.01, 0.1, N * blocks).astype(np.float32)
    zero_points = rng.integers(0, 16, (N, blocks)).astype(np.uint8)
    zp_packed = np.zeros((N, (blocks + 1) // 2), np.uint8)
    for g in range(blocks):
        zp_packed[:, g // 2] |= zero_points[:, g] << (4 * (g % 2))
    bias = rng.normal(0, 0.1, N).astype(np.float32)
    a = rng.normal(0, 1, (rows, K)).astype(np.float32)
    weight = ((codes.astype(np.float64) - np.repeat(zero_points, block, axis=1))
              * np.repeat(scales.reshape(N, blocks), block, axis=1))[:, :K]
    expected = (a.astype(np.float64) @ weight.T + bias).astype(np.float32)
    node = helper.make_node(
        "MatMulNBits", ["a", "B", "scales", "zp", "", "bias"], ["y"],
        name="nbits", domain="com.microsoft", K=K, N=N, bits=bits,
        block_size=block)
    graph = helper.make_graph(
        [node], "nbits",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [rows, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, N])],
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "scales"),
         numpy_helper.from_array(zp_packed.reshape(-1), "zp"),
         numpy_helper.from_array(bias, "bias")])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17),
                              helper.make_opsetid("com.microsoft", 1)])
    save(model, name, [a], outputs=[expected])


save_nbits("nbits", 3, 40, 8)


# QDQ: QuantizeLinear/DequantizeLinear around the layers.
def quantize(v, scale, zero_point, lo, hi):
    return np.clip(np.rint(v / scale) + zero_point, lo, hi)


def qdq_weight(w, axis):
    scale = (np.abs(w).max(axis=1 - axis) / 127).astype(np.float32)
    shape = [1, 1]
    shape[axis] = -1
    q = quantize(w, scale.reshape(shape), 0, -127, 127).astype(np.int8)
    return q, scale, q.astype(np.float64) * scale.reshape(shape)


qw1, qs1, dw1 = qdq_weight(rng.normal(0, 0.2, (64, 48)).astype(np.float32), 1)
qw2, qs2, dw2 = qdq_weight(rng.normal(0, 0.2, (16, 48)).astype(np.float32), 0)
qb1 = rng.normal(0, 0.1, 48).astype(np.float32)
xs, xz, hs, hz = np.float32(0.03), np.uint8(128), np.float32(0.02), np.uint8(0)
xq = rng.normal(0, 1, (8, 64)).astype(np.float32)
ref_x = (quantize(xq.astype(np.float64), xs, xz, 0, 255) - xz) * xs
ref_h = np.maximum(ref_x @ dw1 + qb1, 0)
ref_h = (quantize(ref_h, hs, hz, 0, 255) - hz) * hs
ref_y = ref_h @ dw2.T
inits = [numpy_helper.from_array(a, n) for a, n in (
    (qw1, "qw1"), (qs1, "qs1"), (qw2, "qw2"), (qs2, "qs2"), (qb1, "qb1"),
    (np.array(xs), "xs"), (np.array(xz), "xz"), (np.array(hs), "hs"),
    (np.array(hz), "hz"))]
graph = helper.make_graph(
    [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
     helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
     helper.make_node("DequantizeLinear", ["qw1", "qs1"], ["w1d"], axis=1),
     helper.make_node("MatMul", ["xd", "w1d"], ["m1"], name="fc1"),
     helper.make_node("Add", ["m1", "qb1"], ["a1"]),
     helper.make_node("Relu", ["a1"], ["r1"]),
     helper.make_node("QuantizeLinear", ["r1", "hs", "hz"], ["hq"]),
     helper.make_node("DequantizeLinear", ["hq", "hs", "hz"], ["hd"]),
     helper.make_node("DequantizeLinear", ["qw2", "qs2"], ["w2d"], axis=0),
     helper.make_node("Gemm", ["hd", "w2d"], ["y"], name="fc2", transB=1)],
    "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 16])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
save(model, "qdq", [xq], reference=ref_y)


# CNN: three convolutions, batch 2.
def conv2d(x, w, bias, strides, pads, dilations):
    """NCHW convolution, group 1, in float64; pads [top, left, bottom, right]."""
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    f, _, kh, kw = w.shape
    oh = (x.shape[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (x.shape[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((x.shape[0], f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            window = x[:, :, i * dilations[0]:i * dilations[0] + strides[0] * oh:strides[0],
                       j * dilations[1]:j * dilations[1] + strides[1] * ow:strides[1]]
            y += np.einsum("nchw,fc->nfhw", window, w[:, :, i, j])
    return y + bias.reshape(1, -1, 1, 1)


cw1 = rng.normal(0, 0.3, (8, 5, 3, 3)).astype(np.float32)
cb1 = rng.normal(0, 0.1, 8).astype(np.float32)
cw2 = rng.normal(0, 0.2, (16, 8, 3, 3)).astype(np.float32)
cb2 = rng.normal(0, 0.1, 16).astype(np.float32)
cw3 = rng.normal(0, 0.3, (4, 16, 1, 1)).astype(np.float32)
cb3 = np.zeros(4, np.float32)
cx = rng.normal(0, 1, (2, 5, 10, 10)).astype(np.float32)
c1 = np.maximum(conv2d(cx.astype(np.float64), cw1, cb1, (2, 2), (1, 1, 1, 1), (1, 1)), 0)
c2 = conv2d(c1, cw2, cb2, (1, 1), (2, 1, 2, 1), (2, 1))
c3 = conv2d(c2, cw3, cb3, (1, 1), (0, 0, 0, 0), (1, 1))
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "cw1", "cb1"], ["c1"], name="conv1",
                      strides=[2, 2], pads=[1, 1, 1, 1]),
     helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
     helper.make_node("Conv", ["r1", "cw2", "cb2"], ["c2"], name="conv2",
                      pads=[2, 1, 2, 1], dilations=[2, 1]),
     helper.make_node("Conv", ["c2", "cw3"], ["y"], name="conv3")],
    "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 10, 10])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 5, 5])],
    [numpy_helper.from_array(a, n) for a, n in
     ((cw1, "cw1"), (cb1, "cb1"), (cw2, "cw2"), (cb2, "cb2"), (cw3, "cw3"))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
save(model, "cnn", [cx], reference=c3)

# Last, so that the models above keep their random draws.
save_nbits("nbits_rows", 20, 40, 192)
