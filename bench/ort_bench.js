// Times one model in ONNX Runtime (CPU), for bench/run.
// Usage: node ort_bench.js MODEL.onnx INPUT_DIR THREADS RUNS OUT.bin
// INPUT_DIR holds input_0.bin (raw float32) and input_0.json ({name,
// shape}). Prints `latency_ms <median>` and writes the first output as raw
// float32 to OUT.bin for the comparison with our artifact.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputDir, threads, runs, outPath] = process.argv.slice(2);
  const meta = JSON.parse(fs.readFileSync(path.join(inputDir, 'input_0.json')));
  const raw = fs.readFileSync(path.join(inputDir, 'input_0.bin'));
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential'});
  const feeds = {[meta.name]: new ort.Tensor('float32', data, meta.shape)};
  let out = await session.run(feeds); // warm-up
  const times = [];
  for (let i = 0; i < Number(runs); ++i) {
    const start = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const first = out[session.outputNames[0]].data;
  fs.writeFileSync(outPath, Buffer.from(first.buffer, first.byteOffset, first.byteLength));
  console.log('latency_ms ' + times[Math.floor(times.length / 2)]);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
