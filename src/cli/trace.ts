// STUB: replaced by the real command.
import type { Command } from 'commander';

export function registerTrace(program: Command): void {
  program.command('trace').description('(not implemented yet)');
}
