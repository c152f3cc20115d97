#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm install` via `prepare`).
import { readFileSync } from 'node:fs';

let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('runguard: not built yet; run `npm run build` (or `npm install`) first\n');
    process.exit(2);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: () => readFileSync(0, 'utf8'),
  env: process.env,
  stderrIsTTY: Boolean(process.stderr.isTTY),
  now: () => Date.now(),
});
