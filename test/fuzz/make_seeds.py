"""Writes the fuzzers' seed corpus: small valid models and tensor files
that reach the importer's and the tensor reader's main paths, so the
fuzzers mutate from something that parses.

Usage: make_seeds.py CORPUSDIR. Writes CORPUSDIR/import/*.onnx and
CORPUSDIR/tensor/*.pb (the committed test/fuzz/corpus was made this way).
Needs the onnx module (Debian python3-onnx).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(7)


def fvalue(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def weights(name, shape):
    return numpy_helper.from_array(
        RNG.standard_normal(shape).astype(np.float32), name)


def model(nodes, inputs, outputs, inits=(), opset=17, domains=(),
          functions=()):
    graph = helper.make_graph(nodes, "seed", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=opsets,
                             functions=list(functions))


def import_seeds():
    """name -> ModelProto, one per importer path worth reaching."""
    seeds = {}
    seeds["mlp"] = model(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
         helper.make_node("Add", ["h", "b"], ["a"], name="bias"),
         helper.make_node("Relu", ["a"], ["y"], name="relu")],
        [fvalue("x", ["batch", 8])], [fvalue("y", ["batch", 4])],
        [weights("w", [8, 4]), weights("b", [4])])
    seeds["conv"] = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv",
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "s", "o", "m", "v"],
                          ["n"], name="bn"),
         helper.make_node("MaxPool", ["n"], ["p"], name="pool",
                          kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["y"], name="gap")],
        [fvalue("x", [1, 2, 8, 8])], [fvalue("y", [1, 3, 1, 1])],
        [weights("w", [3, 2, 3, 3]), weights("b", [3]), weights("s", [3]),
         weights("o", [3]), weights("m", [3]),
         numpy_helper.from_array(np.ones(3, np.float32), "v")])
    seeds["gemm_softmax"] = model(
        [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="gemm",
                          transB=1, alpha=0.5),
         helper.make_node("Softmax", ["g"], ["y"], name="softmax", axis=-1)],
        [fvalue("x", [2, 6])], [fvalue("y", [2, 5])],
        [weights("w", [5, 6]), weights("b", [5])])
    seeds["shapes"] = model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Gather", ["s", "i"], ["d"], name="gather", axis=0),
         helper.make_node("Concat", ["d", "minus1"], ["ns"], name="concat",
                          axis=0),
         helper.make_node("Reshape", ["x", "ns"], ["r"], name="reshape"),
         helper.make_node("Transpose", ["r"], ["t"], name="transpose",
                          perm=[1, 0]),
         helper.make_node("ReduceSum", ["t", "axes"], ["y"], name="sum",
                          keepdims=0)],
        [fvalue("x", [2, 3, 4])], [fvalue("y", [None])],
        [numpy_helper.from_array(np.array([0], np.int64), "i"),
         numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
         numpy_helper.from_array(np.array([0], np.int64), "axes")])
    then_branch = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["t"], name="neg")], "then", [],
        [fvalue("t", [4])])
    else_branch = helper.make_graph(
        [helper.make_node("Abs", ["x"], ["e"], name="abs")], "else", [],
        [fvalue("e", [4])])
    seeds["if"] = model(
        [helper.make_node("If", ["c"], ["y"], name="branch",
                          then_branch=then_branch, else_branch=else_branch)],
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         fvalue("x", [4])], [fvalue("y", [4])])
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "x"], ["acc_out"], name="step"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep")],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         fvalue("acc_in", [4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         fvalue("acc_out", [4])])
    seeds["loop"] = model(
        [helper.make_node("Loop", ["n", "", "init"], ["y"], name="loop",
                          body=body)],
        [fvalue("init", [4]), fvalue("x", [4])], [fvalue("y", [4])],
        [numpy_helper.from_array(np.array(3, np.int64), "n")])
    seeds["qdq"] = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"],
                          name="dq"),
         helper.make_node("MatMul", ["d", "w"], ["y"], name="mm")],
        [fvalue("x", [2, 8])], [fvalue("y", [2, 4])],
        [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
         numpy_helper.from_array(np.array(3, np.uint8), "z"),
         weights("w", [8, 4])])
    seeds["matmul_integer"] = model(
        [helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"],
                          name="dql"),
         helper.make_node("MatMulInteger", ["q", "w", "z", "wz"], ["y"],
                          name="mmi")],
        [fvalue("x", [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [2, 4])],
        [numpy_helper.from_array(
            RNG.integers(-5, 5, (8, 4)).astype(np.int8), "w"),
         numpy_helper.from_array(np.array(0, np.int8), "wz")])
    seeds["layernorm_gelu"] = model(
        [helper.make_node("LayerNormalization", ["x", "g", "b"], ["n"],
                          name="ln", axis=-1),
         helper.make_node("Erf", ["n"], ["e"], name="erf"),
         helper.make_node("Mul", ["n", "e"], ["y"], name="mul")],
        [fvalue("x", [1, 3, 8])], [fvalue("y", [1, 3, 8])],
        [weights("g", [8]), weights("b", [8])])
    external = weights("w", [4])
    external.ClearField("raw_data")
    external.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "0"),
                       ("length", "16")):
        entry = external.external_data.add()
        entry.key, entry.value = key, value
    seeds["external"] = model(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add_w")],
        [fvalue("x", [4])], [fvalue("y", [4])], [external])
    function = helper.make_function(
        "local", "Twice", ["a"], ["b"],
        [helper.make_node("Add", ["a", "a"], ["b"], name="twice_add")],
        [helper.make_opsetid("", 17)])
    seeds["function"] = model(
        [helper.make_node("Twice", ["x"], ["y"], name="call", domain="local")],
        [fvalue("x", [4])], [fvalue("y", [4])], domains=["local"],
        functions=[function])
    seeds["constant_cast"] = model(
        [helper.make_node("Constant", [], ["c"], name="const",
                          value=numpy_helper.from_array(
                              np.arange(4, dtype=np.int32), "cv")),
         helper.make_node("Cast", ["c"], ["f"], name="cast",
                          to=TensorProto.FLOAT),
         helper.make_node("Where", ["m", "x", "f"], ["y"], name="where")],
        [helper.make_tensor_value_info("m", TensorProto.BOOL, [4]),
         fvalue("x", [4])], [fvalue("y", [4])], opset=13)
    return seeds


def tensor_seeds():
    """name -> TensorProto, one per storage form the reader decodes."""
    seeds = {
        "float_raw": numpy_helper.from_array(
            RNG.standard_normal((2, 3)).astype(np.float32), "x"),
        "int64_raw": numpy_helper.from_array(np.arange(5, dtype=np.int64), "i"),
        "bool_raw": numpy_helper.from_array(np.array([True, False, True]), "b"),
        "scalar": numpy_helper.from_array(np.array(2.5, np.float32), "s"),
        "empty": numpy_helper.from_array(np.zeros((0, 3), np.float32), "e"),
        "float16": numpy_helper.from_array(
            np.array([1.0, -2.0, 0.5], np.float16), "h"),
    }
    seeds["float_data"] = helper.make_tensor("f", TensorProto.FLOAT, [3],
                                             [1.0, 2.0, 3.0])
    seeds["int32_data_int8"] = helper.make_tensor("q", TensorProto.INT8, [4],
                                                  [-128, -1, 0, 127])
    seeds["int64_data"] = helper.make_tensor("l", TensorProto.INT64, [2, 1],
                                             [7, -7])
    seeds["double_data"] = helper.make_tensor("d", TensorProto.DOUBLE, [2],
                                              [0.25, -1e300])
    seeds["uint64_data"] = helper.make_tensor("u", TensorProto.UINT64, [1],
                                              [2**63])
    seeds["bfloat16_data"] = helper.make_tensor("bf", TensorProto.BFLOAT16,
                                                [2], [1.0, -3.0])
    return seeds


def main(outdir):
    for sub, seeds, suffix in (("import", import_seeds(), ".onnx"),
                               ("tensor", tensor_seeds(), ".pb")):
        os.makedirs(os.path.join(outdir, sub), exist_ok=True)
        for name, proto in seeds.items():
            with open(os.path.join(outdir, sub, name + suffix), "wb") as f:
                f.write(proto.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
