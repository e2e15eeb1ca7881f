"""Writes the corpus of hostile and broken models that deepseek-convert must
reject cleanly: exit code 2, one diagnostic line matching the case's
expectation, no crash and no output.

Usage: make_corpus.py OUTDIR
Writes OUTDIR/<case>/model.onnx (plus any files the case needs) and
OUTDIR/cases.json: [{"name", "model", "expect"}], `expect` being a regular
expression the diagnostic must match (it always also names the file).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
cases = []


def case_dir(name):
    path = os.path.join(out, name)
    os.makedirs(path, exist_ok=True)
    return path


def add_bytes(name, data, expect):
    path = os.path.join(case_dir(name), "model.onnx")
    with open(path, "wb") as f:
        f.write(data)
    cases.append({"name": name, "model": path, "expect": expect})


def add_model(name, model, expect):
    add_bytes(name, model.SerializeToString(), expect)


def model_of(nodes, inputs, outputs, inits=(), opset=17, functions=(),
             domains=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=opsets,
                             functions=list(functions))


def fvalue(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def raw_tensor(name, dims, raw=b""):
    """A float TensorProto whose dims and bytes need not agree."""
    tensor = TensorProto()
    tensor.name, tensor.data_type = name, TensorProto.FLOAT
    tensor.dims.extend(dims)
    tensor.raw_data = raw
    return tensor


# Not a model at all.
add_bytes("empty", b"", "the file is empty")
add_bytes("random_bytes",
          np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)
          .tobytes(), "not a valid ONNX model")
valid = model_of(
    [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
     helper.make_node("Relu", ["c"], ["y"], name="relu")],
    [fvalue("x", [1, 2, 8, 8])], [fvalue("y", [1, 16, 6, 6])],
    [numpy_helper.from_array(
        np.random.default_rng(1).normal(0, 1, (16, 2, 3, 3)).astype(np.float32),
        "w")]).SerializeToString()
add_bytes("truncated", valid[: len(valid) // 2], "not a valid ONNX model")
# The same valid model cut at every 100th byte: none of the prefixes is a
# complete model.
for cut in range(100, len(valid), 100):
    add_bytes("cut_at_%d" % cut, valid[:cut],
              "not a valid ONNX model|no graph|declares no|is not produced|"
              "has no type")

# Shapes and tensor data.
add_model("negative_dim", model_of(
    [helper.make_node("Relu", ["x"], ["y"], name="relu")],
    [fvalue("x", [2, -3])], [fvalue("y", [2, 3])]), "negative|dimension")
big = 1 << 40
add_model("dims_overflow", model_of(
    [helper.make_node("Add", ["x", "c"], ["y"], name="add")],
    [fvalue("x", [2])], [fvalue("y", [2])],
    [raw_tensor("c", [big, big, big])]),
    "overflow|too many elements|too large")
short = raw_tensor("c", [4], b"\0" * 8)
add_model("raw_data_short", model_of(
    [helper.make_node("Add", ["x", "c"], ["y"], name="add")],
    [fvalue("x", [4])], [fvalue("y", [4])], [short]), "raw_data|bytes")
long = raw_tensor("c", [4], b"\0" * 32)
add_model("raw_data_long", model_of(
    [helper.make_node("Add", ["x", "c"], ["y"], name="add")],
    [fvalue("x", [4])], [fvalue("y", [4])], [long]), "raw_data|bytes")


# External data that escapes the model's directory or its file.
def external_case(name, location, expect, setup=None, offset=0, length=16):
    directory = case_dir(name)
    tensor = raw_tensor("c", [4])
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    if setup:
        setup(directory)
    add_model(name, model_of(
        [helper.make_node("Add", ["x", "c"], ["y"], name="add")],
        [fvalue("x", [4])], [fvalue("y", [4])], [tensor]), expect)


def write_data(path, size=16):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\0" * size)


escapes = "contains '\\.\\.'|is absolute|resolves to .* outside"
external_case("external_dotdot", "../secret.bin", escapes,
              lambda d: write_data(os.path.join(d, "..", "secret.bin")))
external_case("external_inner_dotdot", "a/../../x.bin", escapes,
              lambda d: write_data(os.path.join(d, "..", "x.bin")))
external_case("external_absolute", "/etc/passwd", escapes)
external_case("external_symlink_file", "link.bin", escapes,
              lambda d: os.symlink("/etc/hostname", os.path.join(d, "link.bin")))


def symlink_parent(d):
    target = os.path.join(d, "..", "elsewhere")
    write_data(os.path.join(target, "w.bin"))
    os.symlink(os.path.abspath(target), os.path.join(d, "dir"))


external_case("external_symlink_parent", "dir/w.bin", escapes, symlink_parent)
external_case("external_past_end", "w.bin", "shorter than the tensor needs",
              lambda d: write_data(os.path.join(d, "w.bin"), 16), offset=8,
              length=16)

# Graph structure.
add_model("cycle", model_of(
    [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
     helper.make_node("Relu", ["a"], ["b"], name="second")],
    [fvalue("x", [2])], [fvalue("a", [2])]), "cycle|is not produced")
add_model("duplicate_outputs", model_of(
    [helper.make_node("Relu", ["x"], ["y"], name="one"),
     helper.make_node("Sigmoid", ["x"], ["y"], name="two")],
    [fvalue("x", [2])], [fvalue("y", [2])]), "more than once|duplicate")
add_model("unproduced_input", model_of(
    [helper.make_node("Add", ["x", "ghost"], ["y"], name="add")],
    [fvalue("x", [2])], [fvalue("y", [2])]), "ghost")
untyped = helper.ValueInfoProto()
untyped.name = "x"
add_model("untyped_input", model_of(
    [helper.make_node("Relu", ["x"], ["y"], name="relu")],
    [untyped], [fvalue("y", [2])]), "type")


def nested_if(depth):
    """An If whose then-branch holds an If ... `depth` deep."""
    def leaf(output):
        return helper.make_graph(
            [helper.make_node("Identity", ["x"], [output])], "leaf", [],
            [fvalue(output, [2])])

    inner = leaf("r%d" % depth)
    for level in range(depth - 1, -1, -1):
        # Only the then-branch nests: the size stays linear in the depth.
        node = helper.make_node(
            "If", ["cond"], ["r%d" % level], name="if_%d" % level,
            then_branch=inner, else_branch=leaf("e%d" % level))
        if level == 0:
            return node
        inner = helper.make_graph([node], "level%d" % level, [],
                                  [fvalue("r%d" % level, [2])])


add_model("nested_if_1000", model_of(
    [nested_if(1000)],
    [fvalue("x", [2]), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
    [fvalue("r0", [2])]), "nests subgraphs .* deeper")
recursive = helper.make_function(
    "local", "Loop", ["x"], ["y"],
    [helper.make_node("Loop", ["x"], ["y"], domain="local")],
    [helper.make_opsetid("", 17)])
add_model("recursive_function", model_of(
    [helper.make_node("Loop", ["x"], ["y"], name="call", domain="local")],
    [fvalue("x", [2])], [fvalue("y", [2])], functions=[recursive],
    domains=["local"]), "recursi")

# Ops with inconsistent or out-of-range constants.
add_model("conv_rank_mismatch", model_of(
    [helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                      kernel_shape=[3, 3])],
    [fvalue("x", [1, 2, 8, 8])], [fvalue("y", [1, 4, 6, 6])],
    [numpy_helper.from_array(np.zeros((4, 2, 3), np.float32), "w")]),
    "kernel_shape|rank")
add_model("gather_out_of_range", model_of(
    [helper.make_node("Gather", ["x", "i"], ["y"], name="gather")],
    [fvalue("x", [4, 2])], [fvalue("y", [2, 2])],
    [numpy_helper.from_array(np.array([1, 9], np.int64), "i")]),
    "out of range|index")
# Constant float indices were read as integers (found by ds-fuzz-import).
add_model("gather_float_indices", model_of(
    [helper.make_node("Gather", ["x", "i"], ["y"], name="gather")],
    [fvalue("x", [4, 2])], [fvalue("y", [2, 2])],
    [numpy_helper.from_array(np.array([1, 0], np.float64), "i")]),
    r"node 'gather' \(Gather.*indices must be integers")
for name, scale in (("quantize_scale_zero", 0.0), ("quantize_scale_nan", np.nan)):
    add_model(name, model_of(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"],
                          name="quantize")],
        [fvalue("x", [4])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [4])],
        [numpy_helper.from_array(np.array(scale, np.float32), "s"),
         numpy_helper.from_array(np.array(0, np.uint8), "z")]),
        "scale")
# Arity the ONNX checker would catch, at an opset it does not know (found
# by ds-fuzz-import: a Conv with no outputs wrote past the importer's list).
add_model("node_without_outputs", model_of(
    [helper.make_node("Conv", ["x", "w"], [], name="conv")],
    [fvalue("x", [1, 1, 4, 4])], [fvalue("y", [1, 1, 4, 4])],
    [numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "w")],
    opset=21),
    r"node 'conv' \(Conv.*0 outputs")
add_model("missing_required_input", model_of(
    [helper.make_node("Gemm", ["x", ""], ["y"], name="gemm")],
    [fvalue("x", [2, 2])], [fvalue("y", [2, 2])], opset=21),
    r"node 'gemm' \(Gemm, opset 21\).*input 1 \('B'\) is required")
# A dangling input at an opset the checker does not know: libonnx's shape
# inference crashed on it (found by ds-fuzz-import).
add_model("unchecked_dangling_input", model_of(
    [helper.make_node("Shape", ["x"], ["s"], name="shape")],
    [], [helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
    opset=115),
    r"node 'shape' \(Shape\): input 'x' is not produced by any earlier node")
# An input without a type at such an opset: libonnx's shape inference
# crashed on it under `inspect` (found by ds-fuzz-import).
untyped = onnx.ValueInfoProto()
untyped.name = "x"
add_model("unchecked_untyped_input", model_of(
    [helper.make_node("Shape", ["x"], ["s"], name="shape")],
    [untyped], [helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
    opset=115),
    r"graph input 'x' has no type")
# Shapes computed from constants are bounded like declared ones (the
# Reshape case was found by ds-fuzz-import: its dim product overflowed).
add_model("reshape_overflow", model_of(
    [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
    [fvalue("x", [2, 3])], [fvalue("y", [6])],
    [numpy_helper.from_array(np.array([109, 5188146770730811391], np.int64),
                             "shape")]),
    r"node 'reshape' \(Reshape, opset 17\).*more than 2\^40 elements")
add_model("expand_absurd", model_of(
    [helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")],
    [fvalue("x", [1, 1])], [fvalue("y", [2**31, 2**31])],
    [numpy_helper.from_array(np.array([2**31, 2**31], np.int64), "shape")]),
    r"node 'expand' \(Expand, opset 17\).*more than 2\^40 elements")
add_model("unknown_domain", model_of(
    [helper.make_node("Relu", ["x"], ["y"], name="relu", domain="com.nowhere")],
    [fvalue("x", [2])], [fvalue("y", [2])], domains=["com.nowhere"]),
    "com.nowhere")


# Inputs that crashed libonnx 1.12's own shape inference (found by
# ds-fuzz-import): a weight of another rank than the input indexes past
# the input's dims, a zero stride divides by zero, MaxUnpool reads dim 1
# of its indices, LayerNormalization indexes dims by its axis.
def conv_like(name, op, extra_inputs, attrs, expect, opset=13):
    inputs = [fvalue("x", [1, 2, 5, 5])] + extra_inputs
    add_model(name, model_of(
        [helper.make_node(op, [v.name for v in inputs], ["y"], name="n",
                          **attrs)],
        inputs, [fvalue("y", [1])], opset=opset), expect)


weight6 = [fvalue("w", [3, 2, 3, 3, 3, 3])]
conv_like("conv_weight_rank_6", "Conv", weight6, {},
          r"node 'n' \(Conv, opset 13\).*same rank")
conv_like("conv_weight_rank_6_opset18", "Conv", weight6, {},
          r"node 'n' \(Conv, opset 18\).*same rank", opset=18)
conv_like("conv_stride_0", "Conv", [fvalue("w", [3, 2, 3, 3])],
          {"strides": [0, 0]}, r"node 'n' \(Conv.*must be positive")
conv_like("maxpool_stride_0", "MaxPool", [],
          {"kernel_shape": [2, 2], "strides": [0, 0]},
          r"node 'n' \(MaxPool.*must be positive")
conv_like("maxunpool_indices_rank_1", "MaxUnpool",
          [helper.make_tensor_value_info("i", TensorProto.INT64, [1])],
          {"kernel_shape": [2, 2]}, r"MaxUnpool")
# LayerNormalization's statistics outputs at an axis below -rank.
add_model("layernorm_axis_below_rank", model_of(
    [helper.make_node("LayerNormalization", ["x", "s"], ["y", "m", "r"],
                      name="ln", axis=-5)],
    [fvalue("x", [1, 3, 8]), fvalue("s", [8])],
    [fvalue("y", [1]), fvalue("m", [1]), fvalue("r", [1])]),
    r"node 'ln' \(LayerNormalization.*axis -5 is out of range")

def length_delimited(field, payload):
    """A protobuf field of wire type 2: tag, varint length, bytes."""
    tag, length, varint = field << 3 | 2, len(payload), bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([tag]) + bytes(varint) + payload


# A 10,000-character node name that is not UTF-8. Python's protobuf refuses
# to hold such a string, so the messages are put together field by field
# (fields may come in any order): NodeProto.name is field 3,
# GraphProto.node field 1, ModelProto.graph field 7.
node = helper.make_node("Frobnicate", ["x"], ["y"]).SerializeToString()
node += length_delimited(3, b"n" * 10000 + b"\xff\xfe")
graph = helper.make_graph([], "g", [fvalue("x", [2])], [fvalue("y", [2])])
graph = graph.SerializeToString() + length_delimited(1, node)
model = helper.make_model(helper.make_graph([], "g", [], []),
                          opset_imports=[helper.make_opsetid("", 17)])
model.ClearField("graph")
add_bytes("long_invalid_utf8_name",
          model.SerializeToString() + length_delimited(7, graph),
          "Frobnicate|UTF-8|not a valid ONNX model")

with open(os.path.join(out, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
print("%d cases" % len(cases))
