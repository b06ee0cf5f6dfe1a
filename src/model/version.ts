// The package version, read once from package.json so run.json's `exporter` and --version agree.
import { readFileSync } from 'node:fs';

// src/model/ and dist/model/ both sit two levels below the package root.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
