export * from './action.js';
export * from './desired.js';
export * from './health.js';
export * from './knowledge.js';
export * from './observed.js';
export * from './outcome.js';
export * from './plan.js';
