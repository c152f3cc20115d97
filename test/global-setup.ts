import { spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import {
  type EmulatorHandle,
  emulatorsRequired,
  hasEmulatorSdk,
  startFirestoreEmulator,
  startPubSubEmulator,
} from '../stand-ins/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the Pub/Sub emulator started for this run, or '' where the Cloud SDK is absent. */
    pubsubHost: string;
    /** host:port of the Firestore emulator started for this run, or '' where the Cloud SDK is absent. */
    firestoreHost: string;
  }
}

/** Builds dist/ without blocking the event loop, so the emulators start meanwhile. */
function buildDist(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
    tsc.once('error', reject);
    tsc.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json failed (code ${code}, signal ${signal})`)),
    );
  });
}

const NO_SDK =
  'the Google Cloud SDK (gcloud) is not on PATH, so the Pub/Sub and Firestore emulators cannot start. ' +
  'Install it with Java and the emulators: gcloud components install pubsub-emulator cloud-firestore-emulator.';

// The CLI and the Functions Framework are tested as the processes users run, against dist/; one real
// Pub/Sub emulator serves every end-to-end test of the run, and one Firestore emulator every test of
// the Firestore state store (each test file uses its own collection prefix).
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sdk = hasEmulatorSdk();
  if (!sdk && emulatorsRequired()) throw new Error(`global-setup: RUNGUARD_REQUIRE_EMULATORS is set and ${NO_SDK}`);
  if (!sdk)
    console.warn(
      [
        '',
        'global-setup: SKIPPING the tests that need an emulator (Pub/Sub end to end, Firestore state, npm start):',
        NO_SDK,
        'This run can pass without them; CI sets RUNGUARD_REQUIRE_EMULATORS=1, which makes a missing SDK a failure.',
        '',
      ].join('\n'),
    );
  const emulators = sdk
    ? [startPubSubEmulator({ project: 'runguard-test' }), startFirestoreEmulator({ project: 'runguard-test' })]
    : [];
  const [build, ...started] = await Promise.allSettled([buildDist(), ...emulators]);
  const handles = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value as EmulatorHandle] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(handles.map((h) => h.stop()));
  };
  const failure = [build, ...started].find((r): r is PromiseRejectedResult => r?.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [pubsub, firestore] = sdk ? handles : [];
  project.provide('pubsubHost', pubsub?.host ?? '');
  project.provide('firestoreHost', firestore?.host ?? '');
  return stop;
}
