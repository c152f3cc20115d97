import type { ProjectsClient } from '@google-cloud/resource-manager';
import { requireExternal } from './external.js';
import { loopbackClientOptions, loopbackEndpoint } from './loopback.js';
import { GoogleApiError, toGoogleApiError } from '../core/google-api-error.js';

// Which projects the sweep can see, from Resource Manager v3 SearchProjects. Failures leave here as
// ProjectListError with a code, so the sweep never reads gRPC numbers.

export interface ProjectInfo {
  projectId: string;
  /** projects/NUMBER */
  name: string;
  /** folders/N or organizations/N */
  parent: string;
  state: string;
  displayName: string;
}

export interface ProjectLister {
  /**
   * Every ACTIVE project visible to the caller (optionally narrowed by a SearchProjects query), following page tokens.
   */
  list(query?: string): Promise<ProjectInfo[]>;
  close(): Promise<void>;
}

/** A failure of Resource Manager's SearchProjects. */
export class ProjectListError extends GoogleApiError {
  override readonly name = 'ProjectListError';
}

/**
 * The SearchProjects query for a deployment scope (organizations/N or folders/N): always none.
 * `parent:folders/N` matches only DIRECT children and would silently skip sub-folders; walking the
 * tree needs folders.list/get, which the sweep's role lacks. Its read role is granted on the scope,
 * so inherited projects.get makes "visible" = the scope's descendants, plus any project reached by
 * another grant (likely the host project), which the configuration's project patterns filter out.
 */
export function searchQueryForScope(scope: string): string | undefined {
  if (!/^(organizations|folders)\/\d{1,20}$/.test(scope)) {
    throw new ProjectListError('invalid', `scope must be organizations/N or folders/N, got "${scope}"`);
  }
  return undefined;
}

// SearchProjects ships with no retries (the client marks it non-idempotent), but it is a read, and
// one blip on page 11 of 12 would otherwise cost the whole sweep. A few quick retries, then fail.
// autoPaginate:false only silences gax's AutopaginateTrueWarning: the async iterator pages anyway.
const CALL_OPTIONS = {
  autoPaginate: false,
  retry: {
    retryCodes: [14],
    backoffSettings: {
      initialRetryDelayMillis: 100,
      retryDelayMultiplier: 2,
      maxRetryDelayMillis: 1000,
      // Attempts in all: gax counts the first call. Exhausted retries surface as DEADLINE_EXCEEDED.
      initialRpcTimeoutMillis: 60_000,
      rpcTimeoutMultiplier: 1,
      maxRpcTimeoutMillis: 60_000,
      maxRetries: 3,
    },
  },
};

/**
 * Production: no endpoint, ADC and TLS. `endpoint` ("127.0.0.1:PORT") is for tests and local demos:
 * plaintext, so it is refused for anything but loopback. Loaded lazily: the library costs hundreds
 * of milliseconds and only the sweep needs it.
 */
export async function createProjectLister(opts: { endpoint?: string } = {}): Promise<ProjectLister> {
  const local = opts.endpoint ? loopbackEndpoint(opts.endpoint, 'Resource Manager') : null;
  const { v3 } = requireExternal('resourceManager') as typeof import('@google-cloud/resource-manager');
  const client: ProjectsClient = local
    ? new v3.ProjectsClient(await loopbackClientOptions(local))
    : new v3.ProjectsClient();
  return {
    async list(query?: string): Promise<ProjectInfo[]> {
      const out: ProjectInfo[] = [];
      try {
        for await (const p of client.searchProjectsAsync(query ? { query } : {}, CALL_OPTIONS)) {
          // Enums arrive as names from unary/paged calls; accept the number too in case that changes.
          const state =
            typeof p.state === 'number' ? (p.state === 1 ? 'ACTIVE' : String(p.state)) : String(p.state ?? '');
          // DELETE_REQUESTED projects are on their way out and can no longer be changed; skip them.
          if (state !== 'ACTIVE') continue;
          out.push({
            projectId: p.projectId ?? '',
            name: p.name ?? '',
            parent: p.parent ?? '',
            state,
            displayName: p.displayName ?? '',
          });
        }
      } catch (err) {
        throw toProjectListError(err);
      }
      return out;
    },
    close: () => client.close(),
  };
}

/** Any error from the client → ProjectListError. */
export const toProjectListError = (err: unknown): ProjectListError => toGoogleApiError(err, ProjectListError);
