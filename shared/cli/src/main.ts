import { Command } from 'commander';
import { upCommand } from './commands/up';
import { statusCommand } from './commands/status';

/** Entry of the `assay` CLI. Each command lives in commands/ and supports --help and --json. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('assay')
    .description('Assay: certified, audited, calibrated LLM outputs. Platform CLI.')
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(statusCommand());
  await program.parseAsync(argv);
}
