import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const REAL = new URL('../fixtures/auditlogs/real/', import.meta.url).pathname;
const INGRESS_ALL = join(REAL, 'run-v1-replaceservice-console-ingress-all.json');
const CONFLICT = join(REAL, 'run-v1-replaceservice-conflict-error.json');
const GCF_PUBLIC = join(REAL, 'gcf-v1-setiampolicy-allusers-invoker.json');

function runguard(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/runguard.js'), ...args], {
    cwd: ROOT,
    input: opts.stdin ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'runguard-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ENFORCE = tempFile('enforce.yaml', 'projects:\n  - { match: "test-project-*", mode: enforce }\n');
const json = (stdout: string) => JSON.parse(stdout) as Array<Record<string, any>>;

describe('runguard evaluate', () => {
  it('alerts on the real console entry that opened ingress to all traffic, in monitor mode by default', () => {
    const { code, stdout } = runguard(['evaluate', '--json', INGRESS_ALL]);
    expect(code).toBe(0);
    const [entry] = json(stdout);
    expect(entry).toMatchObject({
      insertId: 'qd23mgd4u3f',
      method: 'google.cloud.run.v1.Services.ReplaceService',
      resource: 'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot',
      project: 'test-project-1234',
      actor: 'masatonaka1989@gmail.com',
      skipped: null,
    });
    expect(entry!.findings).toContainEqual(
      expect.objectContaining({ rule: 'run-ingress-all', action: 'alert', severity: 'HIGH' }),
    );
  });

  it('decides revert when the project is enforced, and dry-run when the configuration says dryRun', () => {
    const revert = json(runguard(['evaluate', '--json', '--config', ENFORCE, INGRESS_ALL]).stdout)[0]!;
    expect(revert.findings.find((f: any) => f.rule === 'run-ingress-all').action).toBe('revert');
    const dry = tempFile('dry.yaml', 'dryRun: true\nprojects:\n  - { match: "test-project-*", mode: enforce }\n');
    const dryRun = json(runguard(['evaluate', '--json', INGRESS_ALL], { env: { RUNGUARD_CONFIG: dry } }).stdout)[0]!;
    expect(dryRun.findings.find((f: any) => f.rule === 'run-ingress-all').action).toBe('dry-run');
  });

  it('skips the failed call with its status code as the reason, and reports no findings', () => {
    const [entry] = json(runguard(['evaluate', '--json', CONFLICT]).stdout);
    expect(entry!.skipped).toMatch(/10/);
    expect(entry!.findings).toEqual([]);
  });

  it('flags a public Cloud Function from the real entry that has no policy delta', () => {
    const [entry] = json(runguard(['evaluate', '--json', GCF_PUBLIC]).stdout);
    expect(entry!.findings.map((f: any) => f.rule)).toContain('iam-public-member');
  });

  it('evaluates JSON Lines from stdin, naming the unreadable entry and keeping the others', () => {
    const lines = [
      readFileSync(INGRESS_ALL, 'utf8').trim(),
      '{"protoPayload": {"serviceName": "run.googleapis.com"}, "insertId": "x1"}',
      readFileSync(CONFLICT, 'utf8').trim(),
    ];
    const { code, stdout, stderr } = runguard(['evaluate', '--json', '-'], { stdin: lines.join('\n') });
    expect(code).toBe(0);
    const out = json(stdout);
    expect(out).toHaveLength(3);
    expect(out[1]).toMatchObject({
      input: 'stdin',
      index: 2,
      insertId: 'x1',
      error: expect.stringMatching(/protoPayload\.methodName missing/),
    });
    expect(out[0]!.findings.length).toBeGreaterThan(0);
    expect(stderr).toMatch(/stdin: entry 2 \(x1\): protoPayload\.methodName missing/);
  });

  it('prints a table a person can read', () => {
    const { code, stdout } = runguard(['evaluate', '--config', ENFORCE, INGRESS_ALL, CONFLICT]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/REVERT\s+run-ingress-all: /);
    expect(stdout).toMatch(/skipped\s+.*10/);
    expect(stdout).toMatch(/2 entries, \d+ findings? \(.*1 revert.*\), 1 skipped, 0 unreadable/);
  });

  it('exits 2 and says why when an input cannot be read at all', () => {
    const missing = runguard(['evaluate', '/nonexistent/entry.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/nonexistent\/entry\.json: no such file/);
    const empty = runguard(['evaluate', '-'], { stdin: '\n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/stdin: no entries/);
  });

  it('exits 2 on an invalid configuration, listing every problem with its key', () => {
    const bad = tempFile(
      'bad.yaml',
      'dryRun: maybe\nprojects:\n  - { match: "x", mode: loud }\nrules:\n  no-such-rule: { enabled: false }\n',
    );
    const { code, stderr } = runguard(['evaluate', '--config', bad, INGRESS_ALL]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/dryRun: /);
    expect(stderr).toMatch(/projects\[0\]\.mode: /);
  });

  it('exits 2 when the configuration names a rule or a parameter that does not exist', () => {
    const bad = tempFile(
      'rules.yaml',
      'rules:\n  no-such-rule: { enabled: false }\n  iam-privileged-role: { params: { role: [] } }\n' +
        'exemptions:\n  - { resource: "x", rule: typo, reason: r, expires: 2030-01-01 }\n',
    );
    const { code, stderr } = runguard(['evaluate', '--config', bad, INGRESS_ALL]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/rules\.no-such-rule: no such rule/);
    expect(stderr).toMatch(
      /rules\.iam-privileged-role\.params\.role: rule iam-privileged-role has no parameter "role"/,
    );
    expect(stderr).toMatch(/exemptions\[0\]\.rule: no such rule "typo"/);
  });

  it('refuses a configuration whose remediation would widen access', () => {
    const bad = tempFile('widen.yaml', 'rules:\n  run-ingress-all: { params: { safeIngress: INGRESS_TRAFFIC_ALL } }\n');
    const { code, stderr } = runguard(['evaluate', '--config', bad, INGRESS_ALL]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/rules\.run-ingress-all\.params: /);
  });
});

describe('runguard publish', () => {
  it('says how to start the local loop when none is running', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/runguard.js'), 'publish', INGRESS_ALL], {
      cwd: mkdtempSync(join(tmpdir(), 'runguard-pub-')),
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no running local loop.*npm start/);
  });
});

describe('runguard rules', () => {
  it('lists the default rule pack', () => {
    const { code, stdout } = runguard(['rules', 'list', '--json']);
    expect(code).toBe(0);
    const ids = json(stdout).map((r) => r.id);
    for (const id of [
      'run-ingress-all',
      'run-public-invoker',
      'run-invoker-iam-disabled',
      'run-default-service-account',
      'run-binauthz-breakglass',
      'run-plaintext-secret-env',
      'iam-public-member',
      'iam-privileged-role',
      'iam-personal-account',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('runs every example of the shipped rules and they all agree', () => {
    const { code, stdout } = runguard(['rules', 'test']);
    expect(code).toBe(0);
    const [, passed, total] = stdout.match(/(\d+)\/(\d+) examples agree/)!;
    expect(Number(passed)).toBe(Number(total));
    expect(Number(total)).toBeGreaterThanOrEqual(45);
  });

  it('fails, naming file and example, when an example disagrees with its rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runguard-rules-'));
    writeFileSync(
      join(dir, 'wrong-example.yaml'),
      readFileSync(join(ROOT, 'rules/run-ingress-all.yaml'), 'utf8')
        .replace(/^id: run-ingress-all$/m, 'id: wrong-example')
        .replace(/INGRESS_TRAFFIC_INTERNAL_ONLY/g, 'INGRESS_TRAFFIC_ALL'),
    );
    const { code, stdout } = runguard(['rules', 'test', '--rules', dir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL .*wrong-example\.yaml: examples\.pass\[\d+\]/);
  });

  it('exits 2, naming file and field, when a rule does not compile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runguard-rules-'));
    writeFileSync(
      join(dir, 'broken.yaml'),
      readFileSync(join(ROOT, 'rules/run-ingress-all.yaml'), 'utf8')
        .replace(/^id: run-ingress-all$/m, 'id: broken')
        .replace(/^condition: .*$/m, 'condition: service.ingress ==='),
    );
    const { code, stderr } = runguard(['rules', 'test', '--rules', dir]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/broken\.yaml: condition: /);
  });
});
