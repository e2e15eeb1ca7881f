"""Dynamic-batch variants of ONNX backend tests, for the lit tests.

  dynamic_batch.py model TEST_DIR OUT.onnx
      Copies TEST_DIR/model.onnx with dim 0 of every graph input and output
      renamed to the symbol 'N', so it compiles with a dynamic batch.
  dynamic_batch.py data TEST_DIR BATCH OUT_DIR
      Writes input_<i>.pb and output_<i>.pb for batch size BATCH: sample j
      is sample j % B of the suite's test_data_set_0 (batch B), for inputs
      and expected outputs alike. That is right for models that treat the
      samples of a batch independently, and keeps the expected values the
      suite's own.
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def make_model(test_dir, out_path):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    initializers = {t.name for t in model.graph.initializer}
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name in initializers:
            continue
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(model, out_path)


def cycle_batch(array, batch):
    return np.take(array, np.arange(batch) % array.shape[0], axis=0)


def make_data(test_dir, batch, out_dir):
    src = os.path.join(test_dir, "test_data_set_0")
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(src)):
        tensor = onnx.TensorProto()
        with open(os.path.join(src, name), "rb") as f:
            tensor.ParseFromString(f.read())
        array = cycle_batch(numpy_helper.to_array(tensor), batch)
        out = numpy_helper.from_array(array, tensor.name)
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(out.SerializeToString())


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "model":
        make_model(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "data":
        make_data(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
