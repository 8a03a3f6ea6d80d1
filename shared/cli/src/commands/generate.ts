import { Command } from 'commander';
import { GenerateResponse, ScoreResponse } from '@assay/contracts';
import { connectPlatform } from '../connect';
import { print } from '../output';

/** `assay generate` and `assay score`: the generation and likelihood services over NATS. */
export function generateCommand(): Command {
  return new Command('generate')
    .argument('<prompt>', 'prompt text')
    .requiredOption('--model <model>', 'name or name@version')
    .option('--max-new-tokens <n>', 'tokens to generate', Number, 64)
    .option('--temperature <t>', '0 = greedy', Number, 1)
    .option('--top-k <k>', '0 disables', Number, 0)
    .option('--top-p <p>', '1 disables', Number, 1)
    .option('--seed <n>', 'seed (same seed, same output)', Number)
    .option('-n, --samples <n>', 'samples', Number, 1)
    .option('--json', 'the full response with per-token log-probs')
    .action(async (prompt: string, o: { model: string; maxNewTokens: number; temperature: number; topK: number; topP: number; seed?: number; samples: number; json?: boolean }) => {
      const clients = await connectPlatform();
      try {
        const response = await clients.rpc.call('assay.generation.generate', {
          model: o.model,
          prompts: [prompt],
          n: o.samples,
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          seed: o.seed,
        });
        print(response, Boolean(o.json), (r: GenerateResponse) =>
          r.completions.map((c) => `${prompt}${c.text}\n  [${c.finishReason}, ${c.tokens.length} tokens, log-prob ${c.tokens.reduce((s, t) => s + t.logprob, 0).toFixed(2)}]`).join('\n'),
        );
      } finally {
        await clients.close();
      }
    });
}

export function scoreCommand(): Command {
  return new Command('score')
    .requiredOption('--model <model>', 'name or name@version')
    .option('--context <text>', 'context (may be empty: then the continuation follows BOS)', '')
    .requiredOption('--continuation <text>', 'continuation to score')
    .option('--json', 'per-token log-probs as JSON')
    .action(async (o: { model: string; context: string; continuation: string; json?: boolean }) => {
      const clients = await connectPlatform();
      try {
        const response = await clients.rpc.call('assay.likelihood.score', { model: o.model, items: [{ context: o.context, continuation: o.continuation }] });
        print(response, Boolean(o.json), (r: ScoreResponse) => {
          const result = r.results[0];
          const rows = result.tokens.map((t) => `  ${JSON.stringify(t.text).padEnd(20)} ${t.logprob.toFixed(4)}`).join('\n');
          return `${rows}\n  sum ${result.sumLogprob.toFixed(4)} nats over ${result.numTokens} tokens (perplexity ${Math.exp(-result.sumLogprob / result.numTokens).toFixed(2)})`;
        });
      } finally {
        await clients.close();
      }
    });
}
