import type { ChangeEvent } from '../core/types.js';
import type { FIX_PLACEHOLDERS } from './schema.js';

type Placeholder = (typeof FIX_PLACEHOLDERS)[number];

/** A rule's `fix` command with {project}, {location}, {service}, {resource} filled in from the resource. */
export function fillFix(fix: string, resource: ChangeEvent['resource']): string {
  const values: Record<Placeholder, string> = {
    project: resource.project || 'PROJECT',
    location: resource.location || 'REGION',
    service: resource.type === 'run.googleapis.com/Service' ? resource.name.split('/').pop()! : 'SERVICE',
    resource: resource.name,
  };
  return fix.replace(/\{(project|location|service|resource)\}/g, (_, key: Placeholder) => values[key]);
}
