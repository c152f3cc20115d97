import { execFileSync } from 'node:child_process';

// The CLI is tested as the process users run (bin/runguard.js → dist/), so dist must be current.
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
