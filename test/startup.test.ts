import { appendFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfigAndRules } from '../functions/config/validate.js';
import { loadStartup, PREBUILT_FILE } from '../functions/startup.js';
import { prebuiltFor } from '../scripts/prebuilt.js';

// The artifact ships its configuration and rules validated (runguard.prebuilt.json): the function
// starts from that only while the files are exactly what was validated, and validates them otherwise.

function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'runguard-startup-'));
  cpSync('rules', join(dir, 'rules'), { recursive: true });
  cpSync('examples/runguard.yaml', join(dir, 'runguard.yaml'));
  writeFileSync(join(dir, PREBUILT_FILE), JSON.stringify(prebuiltFor(join(dir, 'runguard.yaml'), join(dir, 'rules'))));
  return { dir, env: { RUNGUARD_CONFIG: join(dir, 'runguard.yaml'), RUNGUARD_RULES_DIR: join(dir, 'rules') } };
}

const shape = (r: Awaited<ReturnType<typeof loadStartup>>['rules'][number]) => ({
  id: r.id,
  file: r.file,
  severity: r.severity,
  condition: r.condition,
  message: r.message,
  params: r.params,
  remediation: r.remediation,
  fix: r.fix,
  appliesTo: [...r.appliesTo],
});

describe('startup from the build-time validation', () => {
  it('gives the same configuration and rules as validating the files, without the examples', async () => {
    const { env } = workspace();
    const fast = await loadStartup(env);
    const full = validateConfigAndRules(env.RUNGUARD_CONFIG, env.RUNGUARD_RULES_DIR);
    expect(fast.prebuilt).toBe(true);
    expect(fast.problems).toEqual([]);
    expect(JSON.stringify(fast.config)).toBe(JSON.stringify(full.config));
    expect(fast.config!.projects.map((p) => p.match.test('prod-web'))).toEqual(
      full.config!.projects.map((p) => p.match.test('prod-web')),
    );
    expect(fast.rules.map(shape)).toEqual(full.rules.map(shape));
    expect(fast.rules.map((r) => r.examples)).toEqual(full.rules.map(() => ({ fire: [], pass: [] })));
  });

  it('validates again, and reports every problem, when the configuration is not the one validated', async () => {
    const { env } = workspace();
    appendFileSync(env.RUNGUARD_CONFIG!, 'dryrun: true\n');
    const started = await loadStartup(env);
    expect(started.prebuilt).toBe(false);
    expect(started.config).toBeNull();
    expect(started.problems.join('\n')).toMatch(/dryrun: unknown key/);
  });

  it('validates again when a rule file changed or was added', async () => {
    const changed = workspace();
    appendFileSync(join(changed.dir, 'rules/run-ingress-all.yaml'), '\n# edited\n');
    expect((await loadStartup(changed.env)).prebuilt).toBe(false);
    const added = workspace();
    cpSync(join(added.dir, 'rules/run-ingress-all.yaml'), join(added.dir, 'rules/zz-copy.yaml'));
    const started = await loadStartup(added.env);
    expect(started.prebuilt).toBe(false);
    expect(started.problems.join('\n')).toMatch(/zz-copy/);
  });

  it('validates when there is no prebuilt file (a local run)', async () => {
    const started = await loadStartup({ RUNGUARD_CONFIG: 'examples/runguard.yaml', RUNGUARD_RULES_DIR: 'rules' });
    expect(started.prebuilt).toBe(false);
    expect(started.problems).toEqual([]);
    expect(started.rules.length).toBeGreaterThan(0);
  });
});
