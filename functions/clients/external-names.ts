// The CommonJS libraries runguard loads itself (functions/clients/external.ts), by the names its code
// asks for. One table for both ways they are found: node_modules in the repository, and the vendor
// bundle scripts/bundle.ts builds for the function's artifact from these same module paths.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ExternalModule {
  /** The module, as require() is given it from `from` (or from runguard's own files). */
  path: string;
  /** Resolve `path` from this package's own files: the copy of a dependency that package itself uses. */
  from?: string;
  /** A file beside the module `path` resolves to: one its package's "exports" map does not name. */
  beside?: string;
  /**
   * The artifact's vendor bundle that holds it (scripts/bundle.ts): the Google libraries share one, so
   * that they share one gax and one gRPC as they do in node_modules; Slack's is apart, so that an event
   * that only alerts never loads the Google one.
   */
  bundle: VendorBundle;
}

export const VENDOR_BUNDLES = ['vendor-google.js', 'vendor-slack.js'] as const;
export type VendorBundle = (typeof VENDOR_BUNDLES)[number];

/** The google-gax `pkg` itself uses, and gax's operations module beside it (for `lro()`: clients/gax-services.ts). */
const gaxOf = (pkg: string) =>
  ({
    gax: { from: pkg, path: 'google-gax', bundle: 'vendor-google.js' },
    operations: { from: pkg, path: 'google-gax', beside: 'operationsClient.js', bundle: 'vendor-google.js' },
  }) as const satisfies Record<string, ExternalModule>;
const RUN_GAX = gaxOf('@google-cloud/run');
const FIRESTORE_GAX = gaxOf('@google-cloud/firestore');

export const EXTERNALS = {
  /** The Cloud Run services client alone: the package's index loads every Cloud Run client (jobs, builds, …). */
  runServices: { path: '@google-cloud/run/build/src/v2/services_client.js', bundle: 'vendor-google.js' },
  /** The google-gax and proto JSON the Cloud Run client itself uses (remediation/run-client.ts). */
  runGax: RUN_GAX.gax,
  runGaxOperations: RUN_GAX.operations,
  runProtos: { from: '@google-cloud/run', path: '../protos/protos.json', bundle: 'vendor-google.js' },
  grpc: { path: '@grpc/grpc-js', bundle: 'vendor-google.js' },
  firestore: { path: '@google-cloud/firestore', bundle: 'vendor-google.js' },
  /** The google-gax Firestore itself uses (state/firestore-support.ts). */
  firestoreGax: FIRESTORE_GAX.gax,
  firestoreGaxOperations: FIRESTORE_GAX.operations,
  pubsub: { path: '@google-cloud/pubsub', bundle: 'vendor-google.js' },
  resourceManager: { path: '@google-cloud/resource-manager', bundle: 'vendor-google.js' },
  /**
   * WebClient and LogLevel from their own modules: the package's index also loads its request and
   * response type modules, the chat stream and every export beside the client (~20 ms of a cold
   * start). It has no "exports" map, so its files are its API as much as the index.
   */
  slackWebClient: { path: '@slack/web-api/dist/WebClient.js', bundle: 'vendor-slack.js' },
  slackLogger: { path: '@slack/web-api/dist/logger.js', bundle: 'vendor-slack.js' },
} as const satisfies Record<string, ExternalModule>;

export type ExternalName = keyof typeof EXTERNALS;

/** The file `module` names, resolved with `require` (runguard's, or the repository's when bundling). */
export function resolveExternal(module: ExternalModule, require: NodeJS.Require): string {
  const resolved = (module.from ? createRequire(require.resolve(module.from)) : require).resolve(module.path);
  return module.beside ? join(dirname(resolved), module.beside) : resolved;
}
