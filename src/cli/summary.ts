// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerSummary(program: Command): void {
  program.command('summary').description('(not implemented yet)');
}
