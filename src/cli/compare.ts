// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerCompare(program: Command): void {
  program.command('compare').description('(not implemented yet)');
}
