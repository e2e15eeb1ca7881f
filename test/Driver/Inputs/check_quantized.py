"""Compares a quantized model's output with a reference: the float64 numpy
one, or another build's output.

Usage: check_quantized.py OUTPUT_0.pb REFERENCE.npy|REFERENCE.pb MIN_COSINE
Prints the cosine similarity; exits 1 below MIN_COSINE.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper



def load(path):
    if path.endswith(".npy"):
        return np.load(path).ravel()
    tensor = onnx.TensorProto()
    tensor.ParseFromString(open(path, "rb").read())
    return numpy_helper.to_array(tensor).astype(np.float64).ravel()


y, ref = load(sys.argv[1]), load(sys.argv[2])
cosine = float(y @ ref / (np.linalg.norm(y) * np.linalg.norm(ref)))
print("cosine %.5f" % cosine)
sys.exit(0 if cosine >= float(sys.argv[3]) else 1)
