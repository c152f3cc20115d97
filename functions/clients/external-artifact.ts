import { join } from 'node:path';
import { loadCompiled } from './compile-cache.js';
import { EXTERNALS, type ExternalName, type VendorBundle } from './external-names.js';

// requireExternal in the function's artifact, where scripts/bundle.ts puts this module in place of
// external.ts: the libraries come from the vendor bundles beside the app bundle, each loaded with its
// code cache the first time one of its libraries is asked for.

const vendors = new Map<VendorBundle, Record<string, () => unknown>>();

export function requireExternal(name: ExternalName): unknown {
  const { bundle } = EXTERNALS[name];
  let vendor = vendors.get(bundle);
  if (!vendor) {
    // __dirname: the app bundle's directory, which compile-cache.ts gives it as require() would.
    vendor = loadCompiled(join(__dirname, bundle)).exports as Record<string, () => unknown>;
    vendors.set(bundle, vendor);
  }
  const load = vendor[name];
  if (!load) throw new Error(`${bundle} has no ${name}: rebuild the artifact (npm run bundle)`);
  return load();
}
