// What the environment says about the state store. No imports: the entry point reads it at load,
// before any client is loaded.

/**
 * Which state store: RUNGUARD_STATE_STORE, else Firestore wherever instances must share state (on
 * Cloud Functions K_SERVICE is set; FIRESTORE_EMULATOR_HOST in tests), else memory for a local process.
 */
export function stateStoreChoice(env: NodeJS.ProcessEnv): string {
  return env.RUNGUARD_STATE_STORE ?? (env.K_SERVICE || env.FIRESTORE_EMULATOR_HOST ? 'firestore' : 'memory');
}

/** RUNGUARD_FIRESTORE_DATABASE (a database other than (default)) and FIRESTORE_EMULATOR_HOST, for a connection. */
export function firestoreConnectionFromEnv(env: NodeJS.ProcessEnv): { databaseId?: string; emulatorHost?: string } {
  return {
    ...(env.RUNGUARD_FIRESTORE_DATABASE ? { databaseId: env.RUNGUARD_FIRESTORE_DATABASE } : {}),
    ...(env.FIRESTORE_EMULATOR_HOST ? { emulatorHost: env.FIRESTORE_EMULATOR_HOST } : {}),
  };
}
