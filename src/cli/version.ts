// Kept for the commands that import the version from here; it lives in model/version.ts.
export { VERSION } from '../model/version.js';
