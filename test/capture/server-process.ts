// Test helper: start an example server on port 0, read the port it prints, stop it and wait for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One build cache for every test file, outside the repository and the user's ~/.cache. */
export const TEST_SERVER_CACHE = join(tmpdir(), 'netprobe-test-servers');

export interface RunningServer {
  port: number;
  child: ChildProcess;
  /** SIGTERM, then waits for the exit; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

export function startServer(command: string[]): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} printed no port within 10 s; stdout: ${seen}`));
    }, 10_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      seen += text;
      const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(seen);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        child,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')} exited with ${code} before listening; stdout: ${seen}`));
    });
  });
}
