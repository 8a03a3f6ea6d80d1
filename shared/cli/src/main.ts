import { Command } from 'commander';
import { applyPlatformFile } from './local-stack/platform-file';
import { EXIT, reportError } from './output';

/**
 * The commands, each loaded only when it runs: `assay --help` loads none of them and `assay status` only its own
 * (the services, Nest, onnxruntime and tfjs are loaded by the commands that use them), so both answer in well under a
 * second. The descriptions live here, the one place `--help` reads them from.
 */
export const COMMANDS: { name: string; description: string; load: () => Promise<Command> }[] = [
  { name: 'up', description: 'run the whole platform locally (embedded S3 server, nats-server, all services)', load: async () => (await import('./commands/up')).upCommand() },
  { name: 'status', description: 'health and readiness of every service', load: async () => (await import('./commands/status')).statusCommand() },
  { name: 'jobs', description: 'durable jobs: training, evaluations, audits', load: async () => (await import('./commands/jobs')).jobsCommand() },
  { name: 'models', description: 'the model registry: push, list, show, sign; prepare an export for the heads', load: async () => (await import('./commands/models')).modelsCommand() },
  { name: 'forge', description: 'train tokenizers and small GPT-2 or llama-style LMs (or LoRA fine-tunes), exported in the ONNX (Optimum) layout', load: async () => (await import('./commands/forge')).forgeCommand() },
  { name: 'generate', description: 'sample a continuation from a registered model', load: async () => (await import('./commands/generate')).generateCommand() },
  { name: 'score', description: 'log-probability of a continuation given a context', load: async () => (await import('./commands/generate')).scoreCommand() },
  { name: 'guide', description: 'guide models G for domain certification (VALID): trained only on in-domain responses', load: async () => (await import('./commands/guide')).guideCommand() },
  { name: 'certify', description: 'answer a prompt with VALID: the first of up to T draws of L whose log2 L/G ratio is ≤ k bits per token, with its certificate, or a refusal', load: async () => (await import('./commands/certify')).certifyCommand() },
  { name: 'certify-eval', description: 'evaluate a (L, G) pair on in-domain and out-of-domain sets: k at a target FRR chosen on one part of each set, FRR, OOD rejection, AUROC and domain certificate on the held-out rest; waits and prints the result', load: async () => (await import('./commands/certify')).certifyEvalCommand() },
  { name: 'certify-bench', description: 'certified benchmarking: L\'s multiple-choice accuracy and mean(correct ∧ gold answer accepted) at each ε or k; waits and prints the result', load: async () => (await import('./commands/certify')).certifyBenchCommand() },
  { name: 'demo', description: 'forge a small health-domain L and guide G, register them, calibrate k, and certify new health and general questions (needs `assay up`)', load: async () => (await import('./commands/demo')).demoCommand() },
  { name: 'audit', description: 'audit a candidate model against a reference for a shift in behaviour (anytime-valid, by betting)', load: async () => (await import('./commands/audit')).auditCommand() },
  { name: 'policy', description: 'the gateway\'s assurance policies (versioned artifacts): create, list, show, delete', load: async () => (await import('./commands/policy')).policyCommand() },
  { name: 'rectify', description: 'detoxified decoding: train a dead-end value Q_D for an LM, sample with it, evaluate it', load: async () => (await import('./commands/rectify')).rectifyCommand() },
  { name: 'reward', description: 'reward heads (Direct Preference Heads): rewards read from L\'s own end-of-turn state', load: async () => (await import('./commands/reward')).rewardCommand() },
  { name: 'calibrate', description: 'calibrated P(correct) for answers of L: labelled datasets, calibrator fits, evaluations, confidence', load: async () => (await import('./commands/calibrate')).calibrateCommand() },
];

/**
 * Entry of the `assay` CLI. Each command lives in commands/ and supports --help and --json. Returns the exit code
 * (output.ts EXIT): every error, commander's usage errors included, is reported here once, as one JSON object on
 * stdout with --json.
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    applyPlatformFile();
    const program = await buildProgram(argv.slice(2));
    forEachCommand(program, (command) => {
      command.exitOverride();
      // With --json, commander's own messages (usage errors, help after them) give way to the one JSON object.
      if (json) command.configureOutput({ writeErr: () => undefined });
    });
    await program.parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    return reportError(error, json);
  }
}

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

/** The program with the command named in `args` loaded, the others as their name and description (for --help). */
export async function buildProgram(args: string[]): Promise<Command> {
  const program = new Command('assay').description('Assay: certified, audited, calibrated LLM outputs. Platform CLI.').showHelpAfterError();
  const words = args.filter((arg) => !arg.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0]; // `assay help <command>` shows that command's own help
  for (const entry of COMMANDS) {
    const command = entry.name === named ? await entry.load() : new Command(entry.name);
    program.addCommand(command.description(entry.description));
  }
  return program;
}
