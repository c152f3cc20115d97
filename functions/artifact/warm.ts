import { join } from 'node:path';
import { loadCompiled, writeCompileCaches } from '../clients/compile-cache.js';

// The artifact's `gcp-build` script (warm-compile-cache.js), which the Cloud Functions Node.js build
// runs after installing the dependencies, on the Node.js the function will run on: loads the app
// bundle, runs its warm-up (functions/artifact/warm-app.ts) and writes each bundle's code cache
// beside it. No network: the clients are constructed against a closed loopback port, never called.

process.env.METADATA_SERVER_DETECTION ??= 'none';
const workspace = __dirname;
const app = loadCompiled(join(workspace, 'app.js'), () => undefined).exports as {
  warmCompileCache(workspace: string): Promise<string[]>;
  writeCompileCaches(): Array<{ file: string; bytes: number }>;
};
const t0 = performance.now();
app
  .warmCompileCache(workspace)
  .then((done) => {
    const written = [...app.writeCompileCaches(), ...writeCompileCaches()];
    console.log(
      `compile cache: warmed ${done.join(', ')} in ${Math.round(performance.now() - t0)} ms; wrote ` +
        written.map((w) => `${w.file} (${Math.round(w.bytes / 1024)} KiB)`).join(', '),
    );
  })
  .catch((e: unknown) => {
    // No cache is a slower cold start, not a broken function: the build goes on, and says why.
    console.error(`compile cache: not written: ${(e as Error).stack ?? e}`);
  })
  // Nothing else to wait for: a library's idle timer must not hold the build.
  .finally(() => process.exit(0));
