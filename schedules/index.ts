export * from './types.js';
export * from './generate.js';
export * from './order.js';
export * from './format.js';
export * from './validate.js';
