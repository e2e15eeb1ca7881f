//===- QuantBase.td - the dsq dialect ------------------------*- tablegen -*-===//
//
// dsq holds quantized arithmetic: conversions between float and integer
// tensors with scales and zero points, the integer contractions ONNX
// defines, and weight-only matmuls over packed 8/4/2-bit weights.
//
// Scales and zero points are tensors, not `!quant.uniform` types: a dynamic
// quantization computes them at run time, and group-wise scales (one per
// block of a row) have no quant type. Their layout is one rule for every op:
//   * per tensor:  rank 0, or shape [1];
//   * per axis:    rank 1, one entry per element of `axis`;
//   * group-wise:  the input's rank, the input's shape except along `axis`,
//                  where there is one entry per `block_size` elements.
//
//===----------------------------------------------------------------------===//

#ifndef DS_QUANT_BASE
#define DS_QUANT_BASE

include "mlir/IR/OpBase.td"

def Quant_Dialect : Dialect {
  let name = "dsq";
  let cppNamespace = "::mlir::ds::quant";
  let summary = "Quantize, dequantize and integer contractions";
  let description = [{
    The quantization dialect of deepseek-convert. Integer tensors use
    signless types for signed data and `ui*` types for unsigned data, as the
    dsg dialect does. Float-to-integer conversion rounds half to even and
    saturates to the result type.
  }];
  let dependentDialects = ["::mlir::ds::graph::GraphDialect"];
}

class Quant_Op<string mnemonic, list<Trait> traits = []>
    : Op<Quant_Dialect, mnemonic, traits>;

def Quant_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Quant_IntTensor : RankedTensorOf<[AnyInteger]>;

#endif // DS_QUANT_BASE
