// Generated at build time (src/build/generated-modules.ts writes dist/model/version.js) from package.json,
// so run.json's `exporter` and --version agree without reading package.json at run time.

export declare const VERSION: string;
