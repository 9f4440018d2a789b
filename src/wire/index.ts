// The wire module: pure byte-level DNS code with no imports from the rest of sinkd.
export * from './constants.js';
export * from './names.js';
export * from './query.js';
export * from './opt.js';
export * from './edns-options.js';
export * from './reply.js';
export * from './response.js';
