// The function's app bundle (scripts/bundle.ts): every entry point, as functions/index.ts registers
// them, and the warm-up the Cloud Functions build runs to write the code caches (warm.ts).
export * from '../index.js';
export { writeCompileCaches } from '../clients/compile-cache.js';
export { warmCompileCache } from './warm-app.js';
