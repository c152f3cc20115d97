// Bundles functions/index.ts for Cloud Functions gen2:
//   npx tsx scripts/bundle.ts --config examples/runguard.yaml [--out build]
// -> build/function/{index.js, package.json, runguard.yaml, rules/} and build/function.zip.
// The Functions Framework stays external (bundling it breaks its function registry): it is listed
// as a dependency and installed by the Cloud Functions build.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { config: { type: 'string' }, out: { type: 'string', default: 'build' } } });
if (!values.config) {
  console.error(
    'usage: tsx scripts/bundle.ts --config <runguard.yaml> [--out build]\n(the function reads RUNGUARD_CONFIG=/workspace/runguard.yaml, so the configuration must be in the bundle)',
  );
  process.exit(2);
}
const out = resolve(values.out ?? 'build');
const dir = join(out, 'function');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

await build({
  entryPoints: ['functions/index.ts'],
  outfile: join(dir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: ['@google-cloud/functions-framework'],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __rgCreateRequire } from 'node:module'; const require = __rgCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
};
writeFileSync(
  join(dir, 'package.json'),
  `${JSON.stringify({ name: 'runguard-function', version: pkg.version, private: true, type: 'module', main: 'index.js', engines: pkg.engines, dependencies: { '@google-cloud/functions-framework': pkg.dependencies['@google-cloud/functions-framework'] } }, null, 2)}\n`,
);
cpSync('rules', join(dir, 'rules'), { recursive: true });
copyFileSync(values.config, join(dir, 'runguard.yaml'));

const zip = join(out, 'function.zip');
if (existsSync(zip)) rmSync(zip);
// -X: no extra attributes; a fixed mtime keeps the zip (and so the object name) stable across identical builds.
execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', '2000-01-01T00:00:00Z', '{}', '+']);
execFileSync('zip', ['-q', '-r', '-X', zip, '.'], { cwd: dir });
console.log(`wrote ${zip}`);
