import { join } from 'node:path';
import { quietCompileCacheNotices } from '../clients/compile-cache.js';

// What the Cloud Functions build runs before it writes the code caches (functions/artifact/warm.ts):
// the work of a cold start that needs no network. Every entry point's modules, the configuration and
// rules as the function loads them, and each client library loaded and constructed against a closed
// loopback port, never called. What runs here is compiled into the cache; the rest compiles on first use.

const NOWHERE = '127.0.0.1:9';

export async function warmCompileCache(workspace: string): Promise<string[]> {
  quietCompileCacheNotices();
  const done: string[] = [];
  await Promise.all([
    import('../audit-events/handler.js'),
    import('../enforcement/deps.js'),
    import('../interactions/handler.js'),
    import('../interactions/deps.js'),
    import('../reconcile/run.js'),
    import('../reconcile/deps.js'),
  ]);
  done.push('entry point modules');

  const { loadStartup } = await import('../startup.js');
  const startup = await loadStartup({
    RUNGUARD_CONFIG: join(workspace, 'runguard.yaml'),
    RUNGUARD_RULES_DIR: join(workspace, 'rules'),
  });
  if (startup.problems.length > 0) throw new Error(`the configuration does not load: ${startup.problems.join('; ')}`);
  done.push(`configuration and ${startup.rules.length} rules`);

  const { createSlackApi } = await import('../slack/client.js');
  await createSlackApi('xoxb-compile-cache-warm-up', `http://${NOWHERE}/api/`);
  done.push('Slack WebClient');

  const { createServicesClient } = await import('../remediation/run-client.js');
  const run = await createServicesClient({ endpoint: NOWHERE });
  await run.initialize();
  await run.close();
  done.push('Cloud Run services client');

  const { connectFirestore, firestoreModule } = await import('../state/firestore-support.js');
  const { v1 } = (await firestoreModule()) as unknown as {
    v1: new (s: object, gax: unknown) => { initialize(): Promise<unknown>; close(): Promise<void> };
  };
  const db = await connectFirestore({ emulatorHost: NOWHERE });
  // The GAPIC client Firestore builds on its first request, on the gax connectFirestore gives it, here
  // without a request.
  const { loopbackClientOptions, loopbackEndpoint } = await import('../clients/loopback.js');
  const gapic = new v1(
    await loopbackClientOptions(loopbackEndpoint(NOWHERE, 'Firestore')),
    (db as unknown as { _gax: unknown })._gax,
  );
  await gapic.initialize();
  await gapic.close();
  await db.terminate();
  done.push('Firestore client');
  return done;
}
