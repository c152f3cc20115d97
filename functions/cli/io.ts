/** What a command reads and writes: the process in `bin/runguard.js`, a buffer in tests. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => string;
  env: NodeJS.ProcessEnv;
  /** A progress line is drawn only on a terminal. */
  stderrIsTTY?: boolean;
  now: () => number;
}

/** The options every command takes. */
export interface CommonOptions {
  config: string | undefined;
  rules: string | undefined;
  json: boolean;
}
