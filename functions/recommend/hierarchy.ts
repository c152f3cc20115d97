// The resource hierarchy as Resource Manager gives it (a project's parent, each folder's parent),
// and the narrowest node that covers a set of projects: where a proposed policy goes. Pure.

export interface Hierarchy {
  /** Project id → its parent: `folders/N` or `organizations/N`. */
  projects: Record<string, string>;
  /** `folders/N` → its parent: `folders/M` or `organizations/N`. */
  folders: Record<string, string>;
}

/** `projects/ID`, then every folder above it, nearest first, then the organisation (when known). */
export function ancestry(h: Hierarchy, projectId: string): string[] {
  const chain = [`projects/${projectId}`];
  let parent = h.projects[projectId];
  // A cycle would be a Resource Manager bug; the bound keeps a bad answer from hanging the command.
  for (let hops = 0; parent && hops < 32 && !chain.includes(parent); hops++) {
    chain.push(parent);
    parent = parent.startsWith('folders/') ? h.folders[parent] : undefined;
  }
  return chain;
}

/**
 * The deepest node every project sits under: the project itself for one project, their folder when
 * they share one, else their common ancestor. null when they share none (ancestry unknown).
 */
export function narrowestCover(h: Hierarchy, projectIds: readonly string[]): string | null {
  const chains = [...new Set(projectIds)].map((p) => ancestry(h, p));
  if (chains.length === 0) return null;
  const [first, ...rest] = chains;
  return first!.find((node) => rest.every((c) => c.includes(node))) ?? null;
}

/** Whether the project sits at or under `node`. */
export function isUnder(h: Hierarchy, projectId: string, node: string): boolean {
  return ancestry(h, projectId).includes(node);
}

/** The organisation the project belongs to (`organizations/N`), when its ancestry reaches one. */
export function organizationOf(h: Hierarchy, projectId: string): string | undefined {
  return ancestry(h, projectId).find((n) => n.startsWith('organizations/'));
}
