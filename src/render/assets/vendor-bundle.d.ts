// Generated at build time (src/build/generated-modules.ts writes dist/render/assets/vendor-bundle.js): d3's
// UMD bundles and d3-flame-graph, so flame-graph pages work offline (no CDN) without reading node_modules.

/** The concatenated vendor script (about 150 kB), safe to place inside a <script> element. */
export declare const VENDOR_SCRIPT: string;
