import { Command } from 'commander';
import { applyPlatformFile } from './local-stack/platform-file';
import { upCommand } from './commands/up';
import { statusCommand } from './commands/status';
import { jobsCommand } from './commands/jobs';
import { modelsCommand } from './commands/models';
import { forgeCommand } from './commands/forge';
import { generateCommand, scoreCommand } from './commands/generate';
import { auditCommand } from './commands/audit';
import { rectifyCommand } from './commands/rectify';
import { guideCommand } from './commands/guide';
import { certifyBenchCommand, certifyCommand, certifyEvalCommand } from './commands/certify';
import { demoCommand } from './commands/demo';
import { EXIT, reportError } from './output';

/**
 * Entry of the `assay` CLI. Each command lives in commands/ and supports --help and --json. Returns the exit code
 * (output.ts EXIT): every error, commander's usage errors included, is reported here once, as one JSON object on
 * stdout with --json.
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    applyPlatformFile();
    const program = buildProgram();
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

function buildProgram(): Command {
  return new Command('assay')
    .description('Assay: certified, audited, calibrated LLM outputs. Platform CLI.')
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(statusCommand())
    .addCommand(jobsCommand())
    .addCommand(modelsCommand())
    .addCommand(forgeCommand())
    .addCommand(generateCommand())
    .addCommand(scoreCommand())
    .addCommand(guideCommand())
    .addCommand(certifyCommand())
    .addCommand(certifyEvalCommand())
    .addCommand(certifyBenchCommand())
    .addCommand(demoCommand())
    .addCommand(auditCommand())
    .addCommand(rectifyCommand());
}
