"""Compares a quantized model's output with the float64 reference.

Usage: check_quantized.py OUTPUT_0.pb REFERENCE.npy MIN_COSINE
Prints the cosine similarity; exits 1 below MIN_COSINE.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

tensor = onnx.TensorProto()
tensor.ParseFromString(open(sys.argv[1], "rb").read())
y = numpy_helper.to_array(tensor).astype(np.float64).ravel()
ref = np.load(sys.argv[2]).ravel()
cosine = float(y @ ref / (np.linalg.norm(y) * np.linalg.norm(ref)))
print("cosine %.5f" % cosine)
sys.exit(0 if cosine >= float(sys.argv[3]) else 1)
