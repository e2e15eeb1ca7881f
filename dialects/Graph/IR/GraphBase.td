//===- GraphBase.td - the dsg dialect ------------------------*- tablegen -*-===//
//
// dsg holds a model as tensor-level ops with ONNX semantics (numpy-style
// broadcasting, ONNX attribute meanings). Every result type is a ranked tensor
// with a static shape: the importer resolves shapes, so passes and the
// lowering never guess.
//
//===----------------------------------------------------------------------===//

#ifndef DS_GRAPH_BASE
#define DS_GRAPH_BASE

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "dsg";
  let cppNamespace = "::mlir::ds::graph";
  let summary = "Tensor-level graph ops with ONNX semantics";
  let description = [{
    The graph dialect of deepseek-convert. Ops take and return ranked tensors;
    elementwise ops broadcast like numpy; integer tensors use signless types
    for signed data and `ui*` types for unsigned data, as ONNX distinguishes
    them.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, traits>;

def Graph_Tensor : RankedTensorOf<[AnyType]>;
def Graph_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Graph_IntTensor : RankedTensorOf<[AnyInteger]>;

#endif // DS_GRAPH_BASE
