// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program.command('demo').description('(not implemented yet)');
}
