// What the sweep reads, as IAM permissions. The reconcile function's custom role is generated from
// this list plus the remediation catalog's (for enforce mode), so the two cannot drift apart.

/** Listing regions, services and policies, and seeing which projects exist (Resource Manager search). */
export const SWEEP_READ_PERMISSIONS: readonly string[] = [
  'resourcemanager.projects.get',
  'run.locations.list',
  'run.services.get',
  'run.services.getIamPolicy',
  'run.services.list',
];
