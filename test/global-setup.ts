import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { type EmulatorHandle, sdkRoot, startPubSubEmulator } from './stand-ins/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the Pub/Sub emulator started for this run, or '' where the Cloud SDK is absent. */
    pubsubHost: string;
  }
}

function hasSdk(): boolean {
  try {
    return sdkRoot() !== '';
  } catch {
    return false;
  }
}

// The CLI and the Functions Framework are tested as the processes users run, against dist/; and
// one real Pub/Sub emulator serves every end-to-end test of the run.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  let pubsub: EmulatorHandle | undefined;
  if (hasSdk()) pubsub = await startPubSubEmulator({ project: 'runguard-test' });
  else console.warn('global-setup: the Cloud SDK is not on PATH; end-to-end tests through the Pub/Sub emulator are skipped');
  project.provide('pubsubHost', pubsub?.host ?? '');
  return async () => {
    await pubsub?.stop();
  };
}
