import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rulesTable } from '../functions/cli/rules.js';
import { checkConfigAgainstRules } from '../functions/config/check-rules.js';
import { parseConfig } from '../functions/config/load.js';
import { loadRules } from '../functions/rules/load-files.js';

// The README is the front door: what it shows must be what the code does.
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const { rules } = loadRules();

describe('README', () => {
  it('carries the rules table generated from rules/', () => {
    const block = README.match(/<!-- rules-table[^>]*-->\n([\s\S]*?)<!-- \/rules-table -->/);
    expect(block, 'rules-table markers').not.toBeNull();
    expect(block![1]).toBe(rulesTable(rules));
  });

  it('shows a configuration example that is valid', () => {
    const yaml = README.match(/## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/)![1]!;
    const { config, problems } = parseConfig(yaml, 'README');
    expect(problems).toEqual([]);
    expect(checkConfigAgainstRules(config!, rules)).toEqual([]);
  });

  it('ships an example configuration that is valid', () => {
    const { config, problems } = parseConfig(
      readFileSync(new URL('../examples/runguard.yaml', import.meta.url), 'utf8'),
      'examples/runguard.yaml',
    );
    expect(problems).toEqual([]);
    expect(checkConfigAgainstRules(config!, rules)).toEqual([]);
  });
});
