import { requireExternal } from '../clients/external.js';
import { loopbackClientOptions, loopbackEndpoint } from '../clients/loopback.js';
import { toGoogleApiError, GoogleApiError } from '../core/google-api-error.js';

// A folder's parent from Resource Manager v3 GetFolder, for the ancestry `runguard recommend` places
// policies on (the caller needs resourcemanager.folders.get, e.g. roles/browser on the organisation).

/** A failure of Resource Manager's GetFolder. */
export class FolderReadError extends GoogleApiError {
  override readonly name = 'FolderReadError';
}

export interface FolderReader {
  parent(folder: string): Promise<string>;
  close(): Promise<void>;
}

/** Production: ADC and TLS. `endpoint` ("127.0.0.1:PORT") is for tests and demos, loopback only. */
export async function createFolderReader(opts: { endpoint?: string } = {}): Promise<FolderReader> {
  const local = opts.endpoint ? loopbackEndpoint(opts.endpoint, 'Resource Manager') : null;
  // Loaded lazily: the library costs hundreds of milliseconds and only this command needs folders.
  const { v3 } = requireExternal('resourceManager') as typeof import('@google-cloud/resource-manager');
  const client = local ? new v3.FoldersClient(await loopbackClientOptions(local)) : new v3.FoldersClient();
  return {
    async parent(folder) {
      try {
        const [f] = await client.getFolder({ name: folder });
        return f.parent ?? '';
      } catch (e) {
        throw toGoogleApiError(e, FolderReadError);
      }
    },
    close: () => client.close(),
  };
}
