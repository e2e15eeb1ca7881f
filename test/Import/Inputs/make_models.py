"""Writes small ONNX models for the importer's error and safety tests.

Usage: make_models.py OUTDIR. Needs the onnx module (Debian python3-onnx).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def external_model(outdir, name, location):
    """y = x + w where w's data lives in an external file at `location`."""
    weight = numpy_helper.from_array(np.arange(4, dtype=np.float32), "w")
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", location
    node = helper.make_node("Add", ["x", "w"], ["y"], name="add_w")
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(outdir, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def unsupported_model(outdir):
    """Two different unsupported ops: both must be reported."""
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu_ok"),
        helper.make_node("NonMaxSuppression", ["a", "a"], ["b"], name="nms_1"),
        helper.make_node("Det", ["a"], ["c"], name="det_1"),
    ]
    graph = helper.make_graph(
        nodes, "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4])],
        [helper.make_tensor_value_info("b", TensorProto.INT64, [1, 3]),
         helper.make_tensor_value_info("c", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(outdir, "unsupported.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def dynamic_model(outdir):
    """A Gemm whose batch dimension is symbolic."""
    weight = numpy_helper.from_array(np.ones((8, 4), dtype=np.float32), "w")
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")
    graph = helper.make_graph(
        [node], "dynamic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(outdir, "dynamic.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def softmax_opset11_model(outdir):
    """Softmax at opset 11 over a middle axis: the 2-D coercion matters."""
    node = helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis=1)
    graph = helper.make_graph(
        [node], "softmax11",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    with open(os.path.join(outdir, "softmax11.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def loop_model(outdir):
    """Loop with a constant trip count of 3: y = x + 1 + 1 + 1, and the
    per-iteration values stacked as the scan output."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [2], [1.0, 1.0])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "one"], ["acc_out"], name="step"),
         helper.make_node("Identity", ["acc_out"], ["scan_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [2])])
    trips = numpy_helper.from_array(np.array(3, dtype=np.int64), "trips")
    cond = numpy_helper.from_array(np.array(True), "cond")
    node = helper.make_node("Loop", ["trips", "cond", "x"], ["y", "ys"],
                            name="loop", body=body)
    graph = helper.make_graph(
        [node], "loop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("ys", TensorProto.FLOAT, [3, 2])],
        initializer=[trips, cond, one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(outdir, "loop.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    # Data for running it: numpy applies the three steps on its own.
    data = os.path.join(outdir, "loop_data")
    os.makedirs(data, exist_ok=True)
    x = np.array([0.5, -2.0], dtype=np.float32)
    steps = np.stack([x + np.float32(i) for i in range(1, 4)])
    for name, array in (("input_0.pb", x), ("output_0.pb", steps[-1]),
                        ("output_1.pb", steps)):
        with open(os.path.join(data, name), "wb") as f:
            f.write(numpy_helper.from_array(array).SerializeToString())


def layernorm_mean_model(outdir):
    """LayerNormalization asking for its mean (output 1) but not its inverse
    standard deviation (output 2); ds-fuzz-import found the importer writing
    the absent third output past its list."""
    node = helper.make_node("LayerNormalization", ["x", "scale"],
                            ["y", "mean"], name="ln", axis=-1, epsilon=1e-5)
    scale = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    graph = helper.make_graph(
        [node], "layernorm_mean",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("mean", TensorProto.FLOAT, [2, 1])],
        initializer=[numpy_helper.from_array(scale, "scale")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(outdir, "layernorm_mean.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    data = os.path.join(outdir, "layernorm_data")
    os.makedirs(data, exist_ok=True)
    x = np.array([[1, 2, 6], [-3, 0, 0.5]], dtype=np.float32)
    mean = x.mean(axis=1, keepdims=True)
    y = (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True)
                             + 1e-5) * scale
    for name, array in (("input_0.pb", x), ("output_0.pb", y.astype(np.float32)),
                        ("output_1.pb", mean)):
        with open(os.path.join(data, name), "wb") as f:
            f.write(numpy_helper.from_array(array).SerializeToString())


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    np.arange(4, dtype=np.float32).tofile(os.path.join(outdir, "weights.bin"))
    secret = os.path.join(os.path.dirname(os.path.abspath(outdir)), "secret.bin")
    np.arange(4, dtype=np.float32).tofile(secret)
    os.symlink(secret, os.path.join(outdir, "link.bin"))
    external_model(outdir, "inside", "weights.bin")
    external_model(outdir, "parent", "../secret.bin")
    external_model(outdir, "absolute", secret)
    external_model(outdir, "symlink", "link.bin")
    external_model(outdir, "missing", "nothere.bin")
    unsupported_model(outdir)
    dynamic_model(outdir)
    softmax_opset11_model(outdir)
    loop_model(outdir)
    layernorm_mean_model(outdir)


if __name__ == "__main__":
    main()
