import { Command } from 'commander';
import { applyPlatformFile } from './local-stack/platform-file';
import { upCommand } from './commands/up';
import { statusCommand } from './commands/status';
import { jobsCommand } from './commands/jobs';
import { modelsCommand } from './commands/models';
import { forgeCommand } from './commands/forge';
import { generateCommand, scoreCommand } from './commands/generate';
import { auditCommand } from './commands/audit';
import { guideCommand } from './commands/guide';
import { certifyBenchCommand, certifyCommand, certifyEvalCommand } from './commands/certify';
import { demoCommand } from './commands/demo';

/** Entry of the `assay` CLI. Each command lives in commands/ and supports --help and --json. */
export async function main(argv: string[]): Promise<void> {
  applyPlatformFile();
  const program = new Command('assay')
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
    .addCommand(auditCommand());
  await program.parseAsync(argv);
}
