import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Hcl = Record<string, any>;

// Block types whose bodies hcl2json gives as { label: [body] } (resource and data have two labels).
const LABELLED = new Set(['variable', 'output', 'module']);
const TWO_LABELS = new Set(['resource', 'data']);

/**
 * A Terraform JSON file in the shape hcl2json gives native files: locals as a list of objects,
 * every labelled block's body wrapped in a list. Comment keys ("//") are dropped.
 */
function fromTerraformJson(doc: Hcl): Hcl {
  const out: Hcl = {};
  for (const [kind, body] of Object.entries(doc)) {
    if (kind === '//') continue;
    if (kind === 'locals') out.locals = Array.isArray(body) ? body : [body];
    else if (LABELLED.has(kind))
      out[kind] = Object.fromEntries(Object.entries(body as Hcl).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    else if (TWO_LABELS.has(kind)) {
      out[kind] = Object.fromEntries(
        Object.entries(body as Hcl).map(([type, byName]) => [
          type,
          Object.fromEntries(Object.entries(byName as Hcl).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
        ]),
      );
    } else out[kind] = Array.isArray(body) ? body : [body];
  }
  return out;
}

/**
 * Every .tf and .tf.json file of a module, parsed and merged block type by block type (hcl2json keeps blocks as
 * arrays).
 */
export async function parseModule(dir: string): Promise<Hcl> {
  const merged: Hcl = {};
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf') || f.endsWith('.tf.json'))
    .sort();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const doc = file.endsWith('.json')
      ? fromTerraformJson(JSON.parse(text) as Hcl)
      : ((await parse(file, text)) as Hcl);
    for (const [kind, body] of Object.entries(doc)) {
      if (Array.isArray(body)) merged[kind] = [...(merged[kind] ?? []), ...body];
      else if (kind === 'resource' || kind === 'data') {
        merged[kind] ??= {};
        for (const [type, byName] of Object.entries(body as Hcl))
          merged[kind][type] = { ...(merged[kind][type] ?? {}), ...byName };
      } else merged[kind] = { ...(merged[kind] ?? {}), ...(body as Hcl) };
    }
  }
  return merged;
}

/** The value of one local, wherever in the module it is defined. */
export function local(tf: Hcl, name: string): unknown {
  const block = (tf.locals as Hcl[] | undefined)?.find((l) => name in l);
  if (!block) throw new Error(`no local.${name}`);
  return block[name];
}
