import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.js';

/**
 * Runs the CLI (whose commands were created with exitOverride) and turns user errors into one line on stderr and exit status 2; anything else
 * is a bug and keeps its stack trace.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (unknown option, missing argument, help).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`r2end: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
