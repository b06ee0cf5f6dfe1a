// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerDoctor(program: Command): void {
  program.command('doctor').description('(not implemented yet)');
}
