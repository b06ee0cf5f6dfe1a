// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerFlame(program: Command): void {
  program.command('flame').description('(not implemented yet)');
}
