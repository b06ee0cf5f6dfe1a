// How paths and commands are shown to the user.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuoted, shownPath } from '../../src/model/shown-path.js';

describe('shellQuoted', () => {
  it('quotes only what a shell would need quoted, so the printed command can be pasted back', () => {
    expect(shellQuoted(['redis-server', '--save', '', '--appendonly', 'no'])).toBe("redis-server --save '' --appendonly no");
    expect(shellQuoted(['sh', '-c', 'while :; do sleep 1; done'])).toBe("sh -c 'while :; do sleep 1; done'");
    expect(shellQuoted(["it's", '$(rm -rf /)', './srv', '--port=8080'])).toBe(`'it'\\''s' '$(rm -rf /)' ./srv --port=8080`);
  });
});

describe('shownPath', () => {
  it('is relative below the working directory, absolute elsewhere', () => {
    expect(shownPath(join(process.cwd(), 'a', 'b'))).toBe(join('a', 'b'));
    expect(shownPath('/elsewhere/x')).toBe('/elsewhere/x');
  });
});
