import { type ChangeEvent, WORKLOAD_TYPES } from '../core/types.js';
import type { FIX_PLACEHOLDERS } from './schema.js';

type Placeholder = (typeof FIX_PLACEHOLDERS)[number];

/**
 * A rule's `fix` command with {project}, {location}, {service} (a workload's short name), {resource} filled in from the
 * resource.
 */
export function fillFix(fix: string, resource: ChangeEvent['resource']): string {
  const values: Record<Placeholder, string> = {
    project: resource.project || 'PROJECT',
    location: resource.location || 'REGION',
    service: WORKLOAD_TYPES.has(resource.type) ? resource.name.split('/').pop()! : 'SERVICE',
    resource: resource.name,
  };
  return fix.replace(/\{(project|location|service|resource)\}/g, (_, key: Placeholder) => values[key]);
}
