#!/usr/bin/env bash
# A CI step for a model-export pipeline: convert an exported ONNX model with
# deepseek-convert, run the artifact on reference inputs and fail the job
# when its outputs drift from the reference outputs beyond a tolerance.
#
# Usage: export-check.sh MODEL.onnx REFERENCE_DIR OUTDIR [--rtol R] [--atol A]
#                        [-- DEEPSEEK-CONVERT FLAGS...]
#   REFERENCE_DIR holds input_<i>.pb and output_<i>.pb (ONNX TensorProto),
#   or subdirectories that each hold one such set (test_data_set_0, ...),
#   as the exporter wrote them from the framework's own outputs.
#   Flags after `--` go to deepseek-convert (--quantize int8, --config ...).
# Exit status: 0 every set within tolerance; 1 an output drifted (the job
# should fail); 2 bad input (unsupported model, missing files, bad flags).
# The tools are taken from DS_BIN (default: ../../build/bin from here).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${DS_BIN:-$here/../../build/bin}

usage() {
  sed -n '5,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
(($# >= 3)) || usage
model=$1 reference=$2 outdir=$3
shift 3
rtol=1e-3 atol=1e-5
convert_flags=()
while (($#)); do
  case $1 in
    --rtol) rtol=${2:?--rtol needs a value}; shift 2 ;;
    --atol) atol=${2:?--atol needs a value}; shift 2 ;;
    --) shift; convert_flags=("$@"); break ;;
    *) echo "export-check: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ -f $model ]] || { echo "export-check: no model file '$model'" >&2; exit 2; }
[[ -d $reference ]] || { echo "export-check: no reference directory '$reference'" >&2; exit 2; }

# 1. Every op supported? (inspect lists the ones that are not.)
if ! "$bin/deepseek-convert" inspect "$model" >/dev/null; then
  echo "export-check: $model uses ops deepseek-convert does not support" >&2
  "$bin/deepseek-convert" inspect "$model" >&2 || true
  exit 2
fi

# 2. Convert. deepseek-convert exits 2 for bad input, 1 for a compiler bug.
"$bin/deepseek-convert" --quiet --input "$model" --output "$outdir" \
  "${convert_flags[@]}"

# 3. Run on each reference set and compare.
sets=()
if compgen -G "$reference/input_*.pb" >/dev/null; then
  sets=("$reference")
else
  for d in "$reference"/*/; do
    compgen -G "$d/input_*.pb" >/dev/null && sets+=("${d%/}")
  done
fi
((${#sets[@]})) || { echo "export-check: no input_<i>.pb sets under '$reference'" >&2; exit 2; }

status=0
for set in "${sets[@]}"; do
  echo "export-check: $(basename "$set"):"
  rc=0
  "$bin/deepseek-run" "$outdir" --inputs "$set" --expected "$set" \
    --rtol "$rtol" --atol "$atol" || rc=$?
  case $rc in
    0) ;;
    1) status=1 ;;
    *) exit 2 ;;
  esac
done
if ((status)); then
  echo "export-check: FAIL: outputs drifted beyond rtol $rtol, atol $atol" >&2
else
  echo "export-check: ok: ${#sets[@]} reference set(s) within rtol $rtol, atol $atol"
fi
exit $status
