"""The benchmark models, generated: ONNX graphs shaped like the networks
users ship, with random weights from a fixed seed (so every run and every
machine compiles the same bytes).

Usage: models.py OUTDIR [NAME ...]
Writes OUTDIR/NAME.onnx and OUTDIR/NAME/input_0.pb for each model (all
when no NAME is given). Models:
  resnet18      ResNet-18 shape, 1x3x224x224, Conv/BatchNorm/Relu exported
                as separate nodes, residual Adds, GlobalAveragePool, Gemm
  mobilenetv2   MobileNetV2 shape, 1x3x224x224: inverted residuals with
                pointwise and depthwise convs, ReLU6 as Clip(0, 6)
  bert_layer    one BERT-base encoder layer, 1x128x768, 12 heads: MatMul +
                Add, Softmax, and LayerNormalization and GELU spelled out in
                primitive ops, as exporters before opset 17 write them
  gemm_1024     the GEMM microbenchmark: fp32 [1024, 1024] x [1024, 1024]
  mlp_b1        MLP, 3 layers of 1024 (Gemm + Relu), batch 1
  mlp_b64       the same MLP at batch 64
  decoder_block a batch-1 decoder MLP block, hidden 4096: two 4096x4096
                MatMuls with biases, GELU between them, a residual Add;
                128 MB of weights read once per token (GEMV, memory-bound)
Each model directory also gets input_0.bin (raw float32) and
input_0.json (name and shape), for ONNX Runtime in bench/ort_bench.js.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return "%s_%d" % (prefix, self.count)

    def const(self, prefix, array):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(
            np.asarray(array, dtype=np.float32), name))
        return name

    def shape(self, dims):
        name = self.name("shape")
        self.inits.append(numpy_helper.from_array(
            np.asarray(dims, dtype=np.int64), name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, act="relu"):
        fan_in = cin // group * k * k
        w = self.const("w", self.rng.normal(0, np.sqrt(2.0 / fan_in),
                                            (cout, cin // group, k, k)))
        y = self.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride] * 2,
                      pads=[k // 2] * 4, group=group)
        y = self.node("BatchNormalization", [
            y, self.const("gamma", self.rng.uniform(0.5, 1.0, cout)),
            self.const("beta", self.rng.normal(0, 0.05, cout)),
            self.const("mean", self.rng.normal(0, 0.05, cout)),
            self.const("var", self.rng.uniform(0.5, 1.5, cout))])
        if act == "relu":
            y = self.node("Relu", [y])
        elif act == "relu6":
            y = self.node("Clip", [y, self.const("lo", 0.0), self.const("hi", 6.0)])
        return y

    def classifier(self, x, features, classes=1000):
        y = self.node("GlobalAveragePool", [x])
        y = self.node("Flatten", [y])
        w = self.const("fc_w", self.rng.normal(0, np.sqrt(1.0 / features),
                                               (classes, features)))
        b = self.const("fc_b", np.zeros(classes))
        return self.node("Gemm", [y, w, b], transB=1)

    def model(self, name, output, shape, output_shape=(1, 1000)):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT,
                                           list(output_shape))],
            initializer=self.inits)
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 13)],
            producer_name="deepseek-convert bench/models.py")
        onnx.checker.check_model(model)
        return model


def resnet18():
    b = Builder(18)
    x = b.conv_bn("input", 3, 64, 7, stride=2)
    x = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4)
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            s = stride if block == 0 else 1
            y = b.conv_bn(x, cin, cout, 3, stride=s)
            y = b.conv_bn(y, cout, cout, 3, act=None)
            shortcut = x
            if s != 1 or cin != cout:
                shortcut = b.conv_bn(x, cin, cout, 1, stride=s, act=None)
            x = b.node("Relu", [b.node("Add", [y, shortcut])])
            cin = cout
    return b.model("resnet18", b.classifier(x, 512), [1, 3, 224, 224])


def mobilenetv2():
    b = Builder(2)
    x = b.conv_bn("input", 3, 32, 3, stride=2, act="relu6")
    cin = 32
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = b.conv_bn(y, cin, hidden, 1, act="relu6")
            y = b.conv_bn(y, hidden, hidden, 3, stride=stride, group=hidden,
                          act="relu6")
            y = b.conv_bn(y, hidden, c, 1, act=None)
            if stride == 1 and cin == c:
                y = b.node("Add", [x, y])
            x, cin = y, c
    x = b.conv_bn(x, cin, 1280, 1, act="relu6")
    return b.model("mobilenetv2", b.classifier(x, 1280), [1, 3, 224, 224])


def bert_layer(seq=128, hidden=768, heads=12, ffn=3072):
    b = Builder(768)
    head = hidden // heads

    def linear(x, fan_in, fan_out):
        w = b.const("w", b.rng.normal(0, 0.02, (fan_in, fan_out)))
        bias = b.const("b", b.rng.normal(0, 0.02, fan_out))
        return b.node("Add", [b.node("MatMul", [x, w]), bias])

    def layer_norm(x):
        mean = b.node("ReduceMean", [x], axes=[-1])
        d = b.node("Sub", [x, mean])
        var = b.node("ReduceMean", [b.node("Pow", [d, b.const("two", 2.0)])],
                     axes=[-1])
        std = b.node("Sqrt", [b.node("Add", [var, b.const("eps", 1e-12)])])
        y = b.node("Div", [d, std])
        y = b.node("Mul", [y, b.const("gamma", b.rng.uniform(0.9, 1.1, hidden))])
        return b.node("Add", [y, b.const("beta", b.rng.normal(0, 0.02, hidden))])

    def gelu(x):
        e = b.node("Erf", [b.node("Div", [x, b.const("sqrt2", np.sqrt(2.0))])])
        y = b.node("Mul", [x, b.node("Add", [e, b.const("one", 1.0)])])
        return b.node("Mul", [y, b.const("half", 0.5)])

    def split_heads(x, perm):
        shape = b.shape([1, seq, heads, head])
        return b.node("Transpose", [b.node("Reshape", [x, shape])], perm=perm)

    x = "input"
    q = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])
    k = split_heads(linear(x, hidden, hidden), [0, 2, 3, 1])
    v = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])
    scores = b.node("Div", [b.node("MatMul", [q, k]),
                            b.const("scale", np.sqrt(head))])
    probs = b.node("Softmax", [scores], axis=-1)
    ctx = b.node("Transpose", [b.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    ctx = b.node("Reshape", [ctx, b.shape([1, seq, hidden])])
    x = layer_norm(b.node("Add", [linear(ctx, hidden, hidden), x]))
    y = linear(gelu(linear(x, hidden, ffn)), ffn, hidden)
    y = layer_norm(b.node("Add", [y, x]))
    return b.model("bert_layer", y, [1, seq, hidden], (1, seq, hidden))


def gemm(n=1024):
    b = Builder(1)
    w = b.const("w", b.rng.normal(0, 1.0 / np.sqrt(n), (n, n)))
    return b.model("gemm", b.node("MatMul", ["input", w]), [n, n], (n, n))


def mlp(batch):
    b = Builder(1024)
    x, features = "input", 1024
    for _ in range(3):
        w = b.const("w", b.rng.normal(0, np.sqrt(2.0 / features), (1024, features)))
        bias = b.const("b", b.rng.normal(0, 0.01, 1024))
        x = b.node("Relu", [b.node("Gemm", [x, w, bias], transB=1)])
    return b.model("mlp", x, [batch, 1024], (batch, 1024))


def decoder_block(hidden=4096):
    b = Builder(4096)
    x = "input"
    w1 = b.const("w", b.rng.normal(0, 1.0 / np.sqrt(hidden), (hidden, hidden)))
    b1 = b.const("b", b.rng.normal(0, 0.01, hidden))
    w2 = b.const("w", b.rng.normal(0, 1.0 / np.sqrt(hidden), (hidden, hidden)))
    b2 = b.const("b", b.rng.normal(0, 0.01, hidden))
    h = b.node("Add", [b.node("MatMul", [x, w1]), b1])
    # GELU, erf form, as exporters spell it.
    half = b.const("c", 0.5)
    one = b.const("c", 1.0)
    rsqrt2 = b.const("c", 1.0 / np.sqrt(2.0))
    h = b.node("Mul", [b.node("Mul", [h, half]),
                       b.node("Add", [b.node("Erf", [b.node("Mul", [h, rsqrt2])]),
                                      one])])
    y = b.node("Add", [b.node("Add", [b.node("MatMul", [h, w2]), b2]), x])
    return b.model("decoder_block", y, [1, hidden], (1, hidden))


MODELS = {"resnet18": resnet18, "mobilenetv2": mobilenetv2,
          "bert_layer": bert_layer, "gemm_1024": gemm,
          "mlp_b1": lambda: mlp(1), "mlp_b64": lambda: mlp(64),
          "decoder_block": decoder_block}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or sorted(MODELS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        model = MODELS[name]()
        onnx.save(model, os.path.join(out, name + ".onnx"))
        shape = [d.dim_value for d in
                 model.graph.input[0].type.tensor_type.shape.dim]
        x = np.random.default_rng(1).normal(0, 1, shape).astype(np.float32)
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "input").SerializeToString())
        x.tofile(os.path.join(out, name, "input_0.bin"))
        with open(os.path.join(out, name, "input_0.json"), "w") as f:
            json.dump({"name": "input", "shape": shape}, f)


if __name__ == "__main__":
    main()
