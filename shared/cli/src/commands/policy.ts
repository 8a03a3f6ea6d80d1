import fs from 'node:fs';
import { Command } from 'commander';
import { Policy, PolicySpecSchema, parseOrThrow } from '@assay/contracts';
import { connectPlatform } from '../connect';
import { InvalidArgumentError, print } from '../output';

const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
};

function render(p: Policy): string {
  const stages = [p.rectifier ? `rectifier ${p.rectifier.name}${p.rectifier.epsilon === undefined ? '' : ` ε=${p.rectifier.epsilon}`}` : 'L', `VALID (G ${p.guide}, k ${p.k}, T ${p.T}${p.maxLog2Epsilon === undefined ? '' : `, log2 ε ≤ ${p.maxLog2Epsilon}`})`];
  if (p.rewardHead) stages.push(`rerank ${p.rewardHead}`);
  if (p.calibrator) stages.push(`confidence ${p.calibrator}`);
  return `${p.name}@${p.version}  model ${p.model}: ${stages.join(' → ')}${p.description ? `  — ${p.description}` : ''}`;
}

async function call<T>(fn: (clients: Awaited<ReturnType<typeof connectPlatform>>) => Promise<T>): Promise<T> {
  const clients = await connectPlatform();
  try {
    return await fn(clients);
  } finally {
    await clients.close();
  }
}

/** `assay policy create|list|show|delete`: the gateway's assurance policies (versioned artifacts). */
export function policyCommand(): Command {
  const policy = new Command('policy').description('assurance policies of the gateway: what `model` names in its OpenAI-compatible API');
  policy
    .command('create <name>')
    .description('create a policy, or the next version of it')
    .option('--file <path>', 'the policy as JSON (flags below override its fields)')
    .option('--model <ref>', 'the large model L')
    .option('--guide <ref>', 'the guide G')
    .option('--k <bits>', 'allowed log2 ratio per token', number)
    .option('--T <n>', 'draws before abstaining', number)
    .option('--max-log2-epsilon <x>', 'reject draws whose certificate is above 2^x', number)
    .option('--rectifier <ref>', 'draw from the rectified L of this rectifier')
    .option('--rectifier-epsilon <x>', "the rectifier's margin ε", number)
    .option('--reward-head <ref>', 'rerank the accepted draws by this reward head')
    .option('--calibrator <ref>', 'attach P(correct) from this calibrator')
    .option('--max-new-tokens <n>', 'default answer length', number)
    .option('--temperature <t>', 'default sampling temperature', number)
    .option('--refusal <text>', 'the answer of an abstention')
    .option('--description <text>')
    .option('--json', 'one JSON object')
    .action(async (name: string, o: Record<string, string | number | boolean | undefined>) => {
      const base = o.file ? (JSON.parse(fs.readFileSync(String(o.file), 'utf8')) as Record<string, unknown>) : {};
      const defined = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
      const spec = parseOrThrow(
        PolicySpecSchema,
        defined({
          ...base,
          name,
          model: o.model ?? base.model,
          guide: o.guide ?? base.guide,
          k: o.k ?? base.k,
          T: o.T ?? base.T,
          maxLog2Epsilon: o.maxLog2Epsilon ?? base.maxLog2Epsilon,
          rectifier: o.rectifier ? defined({ name: o.rectifier, epsilon: o.rectifierEpsilon }) : base.rectifier,
          rewardHead: o.rewardHead ?? base.rewardHead,
          calibrator: o.calibrator ?? base.calibrator,
          sampling: defined({ ...((base.sampling as object) ?? {}), maxNewTokens: o.maxNewTokens, temperature: o.temperature }),
          refusalText: o.refusal ?? base.refusalText,
          description: o.description ?? base.description,
        }),
        'policy',
      );
      const created = await call((c) => c.rpc.call('assay.gateway.create', spec));
      print(created, Boolean(o.json), render);
    });
  policy
    .command('list')
    .description('every policy (latest versions), or every version of one')
    .option('--name <name>', 'every version of this policy')
    .option('--json', 'one JSON object')
    .action(async (o: { name?: string; json?: boolean }) => {
      const list = await call((c) => c.rpc.call('assay.gateway.list', o.name ? { name: o.name } : {}));
      print(list, Boolean(o.json), (v: { policies: Policy[] }) => (v.policies.length ? v.policies.map(render).join('\n') : 'no policies'));
    });
  policy
    .command('show <ref>')
    .description('one policy ("name" for the latest version, or "name@version")')
    .option('--json', 'one JSON object')
    .action(async (ref: string, o: { json?: boolean }) => {
      const found = await call((c) => c.rpc.call('assay.gateway.get', { ref }));
      print(found, Boolean(o.json), (p: Policy) => `${render(p)}\n${JSON.stringify(p, null, 2)}`);
    });
  policy
    .command('delete <name>')
    .description('delete every version of a policy')
    .option('--json', 'one JSON object')
    .action(async (name: string, o: { json?: boolean }) => {
      const deleted = await call((c) => c.rpc.call('assay.gateway.delete', { name }));
      print(deleted, Boolean(o.json), (d: { deletedVersions: number }) => `deleted ${name} (${d.deletedVersions} versions)`);
    });
  return policy;
}
