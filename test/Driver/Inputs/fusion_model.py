"""Writes a model with every fusion the graph passes make, exported the
way frameworks spell them, and random inputs for it.

Usage: fusion_model.py OUTDIR
  OUTDIR/fusion.onnx, OUTDIR/data/input_0.pb
The model:
  x[2,3,8,8] -> Conv -> BatchNormalization -> Relu
             -> Conv -> BatchNormalization -> Clip(0, 6)
             -> Flatten -> MatMul -> Add(bias) -> GELU (erf form)
             -> LayerNorm (mean/sub/pow/mean/add/sqrt/div/mul/add)
             -> Gemm -> LeakyRelu -> y[2,16]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
rng = np.random.default_rng(11)
inits = []


def const(name, array):
    inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
    return name


def bn(prefix, channels):
    return [const(prefix + "_gamma", rng.uniform(0.5, 1.5, channels)),
            const(prefix + "_beta", rng.normal(0, 0.1, channels)),
            const(prefix + "_mean", rng.normal(0, 0.1, channels)),
            const(prefix + "_var", rng.uniform(0.5, 1.5, channels))]


nodes = [
    helper.make_node("Conv", ["x", const("w1", rng.normal(0, 0.3, (4, 3, 3, 3))),
                              const("b1", rng.normal(0, 0.1, 4))], ["c1"],
                     pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c1"] + bn("bn1", 4), ["n1"]),
    helper.make_node("Relu", ["n1"], ["r1"]),
    helper.make_node("Conv", ["r1", const("w2", rng.normal(0, 0.3, (4, 4, 3, 3)))],
                     ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("BatchNormalization", ["c2"] + bn("bn2", 4), ["n2"]),
    helper.make_node("Clip", ["n2", const("lo", 0.0), const("hi", 6.0)], ["r2"]),
    helper.make_node("Flatten", ["r2"], ["f"]),
    helper.make_node("MatMul", ["f", const("w3", rng.normal(0, 0.1, (64, 32)))], ["m"]),
    helper.make_node("Add", ["m", const("b3", rng.normal(0, 0.1, 32))], ["mb"]),
    # GELU as exporters write it.
    helper.make_node("Div", ["mb", const("sqrt2", np.sqrt(2.0))], ["g0"]),
    helper.make_node("Erf", ["g0"], ["g1"]),
    helper.make_node("Add", ["g1", const("one", 1.0)], ["g2"]),
    helper.make_node("Mul", ["mb", "g2"], ["g3"]),
    helper.make_node("Mul", ["g3", const("half", 0.5)], ["g"]),
    # LayerNorm as exporters before opset 17 write it.
    helper.make_node("ReduceMean", ["g"], ["mu"], axes=[-1]),
    helper.make_node("Sub", ["g", "mu"], ["d"]),
    helper.make_node("Pow", ["d", const("two", 2.0)], ["d2"]),
    helper.make_node("ReduceMean", ["d2"], ["var"], axes=[-1]),
    helper.make_node("Add", ["var", const("eps", 1e-5)], ["ve"]),
    helper.make_node("Sqrt", ["ve"], ["sd"]),
    helper.make_node("Div", ["d", "sd"], ["nrm"]),
    helper.make_node("Mul", ["nrm", const("ln_g", rng.uniform(0.5, 1.5, 32))], ["lg"]),
    helper.make_node("Add", ["lg", const("ln_b", rng.normal(0, 0.1, 32))], ["ln"]),
    helper.make_node("Gemm", ["ln", const("w4", rng.normal(0, 0.3, (16, 32))),
                              const("b4", rng.normal(0, 0.1, 16))], ["gm"], transB=1),
    helper.make_node("LeakyRelu", ["gm"], ["y"], alpha=0.1),
]
graph = helper.make_graph(
    nodes, "fusion",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 16])],
    initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "fusion.onnx"))
x = rng.normal(0, 1, (2, 3, 8, 8)).astype(np.float32)
with open(os.path.join(out, "data", "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x).SerializeToString())
