import { createRequire } from 'node:module';
import { EXTERNALS, type ExternalName, resolveExternal } from './external-names.js';

// The CommonJS libraries (the Cloud Run client and its google-gax, gRPC, Firestore, Pub/Sub,
// Resource Manager, Slack's WebClient) are loaded by name through requireExternal, never imported:
// - here, from node_modules with require(), not import(). On Node 20, a CommonJS module reached
//   through import() gets a require() that resolves every module below it through the ESM loader,
//   which lexes each file's source for its exports; plain require() does not. Measured on the
//   unpacked artifact: the WebClient 100 → 50 ms of CPU, the Cloud Run client 0.33 → 0.25 s.
// - in the function's artifact, scripts/bundle.ts puts external-artifact.ts in this module's place:
//   the same names, served by the vendor bundle it builds from the same table (external-names.ts).

const here = createRequire(import.meta.url);
// Resolved once per name: stores ask for their library on every call.
const loaded = new Map<ExternalName, unknown>();

/** The library `name` stands for, as node_modules resolves it (tests, the CLI, npm start). */
export function requireExternal(name: ExternalName): unknown {
  if (!loaded.has(name)) loaded.set(name, here(resolveExternal(EXTERNALS[name], here)));
  return loaded.get(name);
}
