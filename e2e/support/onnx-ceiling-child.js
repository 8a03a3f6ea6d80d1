// One process of the hardware ceiling of `npm run bench -- scale` (see onnx-ceiling.ts): bare onnxruntime-node, one
// intra-op thread, the model's forward pass at one decoding step (batch rows, one new token, an empty cache) in a
// loop from `startAt` for `seconds`; prints the number of passes. Plain JavaScript: it starts in ~0.1 s.
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

async function main() {
  const [dir, batchArg, startAtArg, secondsArg] = process.argv.slice(2);
  const batch = Number(batchArg);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const heads = config.num_key_value_heads ?? config.n_head ?? config.num_attention_heads;
  const dim = config.n_embd ?? config.hidden_size;
  const headDim = config.head_dim ?? dim / (config.n_head ?? config.num_attention_heads);
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const int64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
  const feeds = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = int64(Array.from({ length: batch }, (_, b) => 5 + b), [batch, 1]);
    else if (name === 'attention_mask') feeds[name] = int64(new Array(batch).fill(1), [batch, 1]);
    else if (name === 'position_ids') feeds[name] = int64(new Array(batch).fill(0), [batch, 1]);
    else if (name.startsWith('past_key_values')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim]);
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
    else throw new Error(`unexpected input ${name}`);
  }
  for (let i = 0; i < 20; i++) await session.run(feeds); // warm-up
  const startAt = Number(startAtArg);
  while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1));
  const end = startAt + Number(secondsArg) * 1000;
  let passes = 0;
  while (Date.now() < end) {
    await session.run(feeds);
    passes++;
  }
  process.stdout.write(`${passes}\n`);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
