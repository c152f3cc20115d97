import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generatedTerraformInputs } from '../../scripts/generate-terraform-inputs.js';
import { sinkFilter } from '../../functions/events/sink-filter.js';
import { SWEEP_READ_PERMISSIONS } from '../../functions/reconcile/permissions.js';
import { REMEDIATION_ACTIONS } from '../../functions/remediation/catalog.js';

describe('terraform/modules/runguard/generated.tf.json', () => {
  it('is what scripts/generate-terraform-inputs.ts writes (run it after changing methods or permissions)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generatedTerraformInputs());
  });

  it('holds the sink filter and every declared remediation permission', () => {
    const { locals } = JSON.parse(readFileSync(GENERATED_PATH, 'utf8'));
    expect(locals.sink_filter).toBe(sinkFilter());
    for (const a of Object.values(REMEDIATION_ACTIONS))
      for (const p of a.permissions) expect(locals.remediation_permissions).toContain(p);
  });

  it('holds exactly what the reconcile sweep reads, sorted, and nothing that writes', () => {
    const { locals } = JSON.parse(readFileSync(GENERATED_PATH, 'utf8'));
    expect(locals.sweep_permissions).toEqual([...new Set(SWEEP_READ_PERMISSIONS)].sort());
    // Reverting is the remediation role's job; the sweep role must stay read-only.
    const writes = new Set(
      Object.values(REMEDIATION_ACTIONS)
        .flatMap((a) => a.permissions)
        .filter((p) => !/\.(get|list|getIamPolicy)$/.test(p)),
    );
    expect(locals.sweep_permissions.filter((p: string) => writes.has(p))).toEqual([]);
  });
});
