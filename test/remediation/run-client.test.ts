import { describe, expect, it } from 'vitest';
import { createServicesClient } from '../../functions/remediation/run-client.js';

process.env.METADATA_SERVER_DETECTION = 'none';

describe('createServicesClient', () => {
  it(
    'decodes long-running-operation results with a set-up Service type, ' + 'not the regenerating protobufjs stub',
    async () => {
      const client = await createServicesClient({ endpoint: '127.0.0.1:1' });
      const descriptors = (
        client as unknown as {
          descriptors: { longrunning: Record<string, { responseDecoder: (b: Uint8Array) => { name?: string } }> };
        }
      ).descriptors.longrunning;
      expect(Object.keys(descriptors)).toEqual(
        expect.arrayContaining(['createService', 'updateService', 'deleteService']),
      );
      for (const d of Object.values(descriptors)) {
        // protobufjs's stub is `decode_setup`; bound by the generated client it would run setup() on every call.
        expect(d.responseDecoder.name).not.toMatch(/decode_setup/);
      }
      // The replacement still decodes a Service: field 1 (name) = "x".
      expect(descriptors.updateService!.responseDecoder(Uint8Array.from([0x0a, 0x01, 0x78])).name).toBe('x');
      await client.close();
    },
  );

  it('refuses a plaintext endpoint that is not loopback', async () => {
    await expect(createServicesClient({ endpoint: 'run.example.com:443' })).rejects.toThrow(/loopback/);
  });
});
