/**
 * The server a Node user would write around transformers.js (peers.bench.ts's baseline): load the model once,
 * and for each POST /generate call `model.generate` on the request's prompts (left-padded as a batch).
 * Concurrent requests simply run concurrently, as async handlers do.
 *
 *   node -r @swc-node/register e2e/bench/peers-transformersjs-server.ts <model dir> <intra-op threads>
 *
 * Prints `listening <port>` once ready. Body: {prompts: string[], max_new_tokens: number}; reply:
 * {generated: number[]} (new tokens per prompt, padding excluded).
 */
import http from 'node:http';
import path from 'node:path';

async function main(): Promise<void> {
  const [dir, threads = '1'] = process.argv.slice(2);
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  const options = { local_files_only: true, session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1 } };
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(path.resolve(dir), options as never);
  tokenizer.padding_side = 'left';
  const model = await tjs.AutoModelForCausalLM.from_pretrained(path.resolve(dir), { ...options, dtype: 'fp32' } as never);
  const generate = model as unknown as { generate(args: object): Promise<{ tolist(): bigint[][] }> };
  const pad = BigInt(tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0);

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      try {
        const { prompts, max_new_tokens } = JSON.parse(body) as { prompts: string[]; max_new_tokens: number };
        const inputs = tokenizer(prompts, { padding: true }) as { input_ids: { dims: number[] } };
        const out = await generate.generate({ ...inputs, max_new_tokens, do_sample: false });
        const width = inputs.input_ids.dims[1];
        const generated = out.tolist().map((row) => row.slice(width).filter((id) => id !== pad).length);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ generated }));
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as { port: number }).port}`));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
