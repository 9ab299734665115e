/**
 * The rating catalog: see catalog/index.ts (top-level schema and assembly) and its sections under catalog/ (conditions,
 * plans, states, share plans, contracts, assignments). This module is the stable import path.
 */
export * from './catalog/index.ts';
