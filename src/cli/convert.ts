// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerConvert(program: Command): void {
  program.command('convert').description('(not implemented yet)');
}
