"""Writes a model whose external data passes 2 GiB, sparsely on disk.

Usage: make_large_model.py OUTDIR. OUTDIR gets model.onnx, weights.bin,
inputs/input_0.pb and expected/output_0.pb.

y = Gather(table, idx) + bias. table is [557056, 1024] f32 (2.28 GB, past
2^31 bytes) and bias sits after it in the same file, at an offset past
2^31. Only the rows the test reads (first, middle, last) and bias are
written; the rest of the file is a hole, so the disk holds a few KiB.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROWS, COLS = 557056, 1024
ROW_BYTES = COLS * 4
TABLE_BYTES = ROWS * ROW_BYTES
WRITTEN_ROWS = [0, ROWS // 2, ROWS - 1]


def row_values(r):
    # float32 arithmetic throughout: a Python int this large would make
    # NumPy promote to float64.
    return np.arange(COLS, dtype=np.float32) + np.float32(r)


def bias_values():
    return np.linspace(-1, 1, COLS, dtype=np.float32)


def external(name, dims, offset, length):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", str(offset)),
                       ("length", str(length))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def main(outdir):
    assert TABLE_BYTES > 2**31
    os.makedirs(os.path.join(outdir, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "expected"), exist_ok=True)
    with open(os.path.join(outdir, "weights.bin"), "wb") as f:
        f.truncate(TABLE_BYTES + ROW_BYTES)
        for r in WRITTEN_ROWS:
            f.seek(r * ROW_BYTES)
            f.write(row_values(r).tobytes())
        f.seek(TABLE_BYTES)
        f.write(bias_values().tobytes())

    nodes = [
        helper.make_node("Gather", ["table", "idx"], ["rows"], axis=0,
                         name="lookup"),
        helper.make_node("Add", ["rows", "bias"], ["y"], name="add_bias"),
    ]
    graph = helper.make_graph(
        nodes, "large_external",
        [helper.make_tensor_value_info("idx", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, COLS])],
        initializer=[external("table", [ROWS, COLS], 0, TABLE_BYTES),
                     external("bias", [COLS], TABLE_BYTES, ROW_BYTES)])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, os.path.join(outdir, "model.onnx"))

    # Rows past the 2 GiB mark, one that is a hole (all zeros), row 0.
    idx = np.array([ROWS - 1, ROWS // 2, 7, 0], dtype=np.int64)
    rows = np.stack([row_values(r) if r in WRITTEN_ROWS else
                     np.zeros(COLS, np.float32) for r in idx])
    onnx.save_tensor(numpy_helper.from_array(idx, "idx"),
                     os.path.join(outdir, "inputs", "input_0.pb"))
    onnx.save_tensor(numpy_helper.from_array(rows + bias_values(), "y"),
                     os.path.join(outdir, "expected", "output_0.pb"))


if __name__ == "__main__":
    main(sys.argv[1])
