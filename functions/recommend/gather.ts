import { describeError } from '../core/errors.js';
import type { Exemption, Policy, RunService } from '../core/types.js';
import type { DecisionRecord, HistoryReader } from '../history/types.js';
import type { RunInventory } from '../remediation/types.js';
import { type Hierarchy, isUnder } from './hierarchy.js';
import {
  type DeployedService,
  type KnownExemption,
  type ProposeOptions,
  propose,
  type Recommendation,
} from './propose.js';

// The I/O around propose(): the decision history, the hierarchy (Resource Manager), what is deployed
// (Cloud Run) and the exemptions. Ports only: the CLI wires the clients in. What cannot be read is
// said in `unread`, and the proposal is still made from the rest.

export interface RecommendPorts {
  history: readonly HistoryReader[];
  /** Resource Manager: every project the caller sees, with its parent. */
  listProjects: () => Promise<Array<{ projectId: string; parent: string }>>;
  /** Resource Manager: a folder's parent (`folders/N` or `organizations/N`). */
  folderParent: (folder: string) => Promise<string>;
  inventory: RunInventory;
  getIamPolicy: (service: string) => Promise<Policy | null>;
  /** Regions to list; when absent, each project's are asked for (ListLocations). */
  locations?: readonly string[];
  configExemptions: readonly Exemption[];
  /** Breakglass exemptions from the state store; null when it is not configured. */
  breakglass: (() => Promise<KnownExemption[]>) | null;
}

export interface Gathered {
  recommendation: Recommendation;
  records: number;
  /** What could not be read: the proposals may miss it. */
  unread: string[];
  /** What was not asked for, knowingly (no state store configured). */
  notes: string[];
}

export async function recommend(
  range: { since: number; until: number },
  now: number,
  options: ProposeOptions,
  ports: RecommendPorts,
): Promise<Gathered> {
  const unread: string[] = [];
  const notes: string[] = [];
  const records: DecisionRecord[] = [];
  for (const h of ports.history) records.push(...(await h.decisions(range)));

  const hierarchy: Hierarchy = { projects: {}, folders: {} };
  try {
    for (const p of await ports.listProjects()) hierarchy.projects[p.projectId] = p.parent;
  } catch (e) {
    unread.push(`Resource Manager projects: ${describeError(e)}`);
  }
  await walkFolders(hierarchy, ports, unread);

  const exemptions: KnownExemption[] = [...ports.configExemptions];
  if (ports.breakglass) {
    try {
      exemptions.push(...(await ports.breakglass()));
    } catch (e) {
      unread.push(`breakglass exemptions: ${describeError(e)}`);
    }
  } else notes.push('breakglass exemptions were not read: no state store configured (RUNGUARD_STATE_STORE=firestore)');

  const base = { records, ...range, hierarchy, exemptions, now, options };
  // First where each policy goes, then only the projects under those nodes are listed.
  const draft = propose({ ...base, services: [] });
  const projects = new Set<string>();
  for (const p of draft.proposals) {
    for (const id of [...Object.keys(hierarchy.projects), ...p.evidence.projects])
      if (isUnder(hierarchy, id, p.parent)) projects.add(id);
  }
  const services = await deployed([...projects].sort(), ports, unread);
  return { recommendation: propose({ ...base, services }), records: records.length, unread, notes };
}

async function walkFolders(h: Hierarchy, ports: RecommendPorts, unread: string[]): Promise<void> {
  const pending = new Set(Object.values(h.projects).filter((p) => p.startsWith('folders/')));
  while (pending.size > 0) {
    const folder = pending.values().next().value!;
    pending.delete(folder);
    if (folder in h.folders) continue;
    try {
      const parent = await ports.folderParent(folder);
      h.folders[folder] = parent;
      if (parent.startsWith('folders/') && !(parent in h.folders)) pending.add(parent);
    } catch (e) {
      unread.push(`Resource Manager ${folder}: ${describeError(e)}`);
    }
  }
}

async function deployed(projects: string[], ports: RecommendPorts, unread: string[]): Promise<DeployedService[]> {
  const out: DeployedService[] = [];
  for (const project of projects) {
    let locations: readonly string[];
    try {
      locations = ports.locations ?? (await ports.inventory.listLocations(project));
    } catch (e) {
      unread.push(`Cloud Run in ${project}: ${describeError(e)}`);
      continue;
    }
    for (const location of locations) {
      let services: RunService[];
      try {
        services = await ports.inventory.listServices(project, location);
      } catch (e) {
        unread.push(`Cloud Run in ${project}/${location}: ${describeError(e)}`);
        continue;
      }
      for (const s of services) {
        let grants: string[] | undefined;
        try {
          const policy = await ports.getIamPolicy(s.name);
          grants = policy?.bindings.flatMap((b) => b.members.map((m) => `${m}@${b.role}`)) ?? [];
        } catch (e) {
          unread.push(`IAM policy of ${s.name}: ${describeError(e)}`);
        }
        out.push({
          name: s.name,
          project,
          ingress: s.ingress,
          binaryAuthorization: s.binaryAuthorization,
          ...(grants ? { grants } : {}),
        });
      }
    }
  }
  return out;
}
