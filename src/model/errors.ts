// One error class for everything the user can act on; main.ts maps `code` to the exit code.
export type ErrorCode = 'usage' | 'input' | 'environment' | 'interrupted';

export class NetprobeError extends Error {
  readonly code: ErrorCode;
  /** A next step the user can take, printed on its own line. */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'NetprobeError';
    this.code = code;
    this.hint = options.hint;
  }
}

// A structural error in a recognised input: names the file, the line and what was expected.
export class ParseError extends NetprobeError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, expected: string, text?: string) {
    const shown = text === undefined ? '' : `, got \`${truncate(text, 80)}\``;
    super('input', `${file}:${line}: expected ${expected}${shown}`);
    this.name = 'ParseError';
    this.file = file;
    this.line = line;
  }
}

function truncate(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
