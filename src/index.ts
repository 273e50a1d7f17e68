/** Public API of resp-elect. Later modules and outside tests import from here. */
export * from './protocol/index.js';
export * from './elector/index.js';
