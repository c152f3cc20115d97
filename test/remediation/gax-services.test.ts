import { createRequire } from 'node:module';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import {
  type GaxOperationsModule,
  lowerCamel,
  servicesOnlyGax,
  servicesPackageDefinition,
} from '../../functions/clients/gax-services.js';

// The services-only package definition must be what proto-loader makes of the same JSON, method for
// method: the same paths and aliases, the same bytes on the wire, the same objects back.

const runRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/run'));
const gax = runRequire('google-gax') as typeof import('google-gax');
const gaxRequire = createRequire(runRequire.resolve('google-gax'));
const JSONS = {
  run: runRequire('../protos/protos.json'),
  locations: gaxRequire('../protos/locations.json'),
  operations: gaxRequire('../protos/operations.json'),
  iam: gaxRequire('../protos/iam_service.json'),
  // Firestore's GAPIC client is built on the services-only gax too (state/firestore-support.ts).
  firestore: createRequire(createRequire(import.meta.url).resolve('@google-cloud/firestore'))('../protos/v1.json'),
};
// The function proto-loader names methods with.
const camelCase = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'))('lodash.camelcase') as (
  s: string,
) => string;
// gax's own options for proto-loader (GrpcClient.defaultOptions is private).
const gaxOptions = (gax.GrpcClient as unknown as { defaultOptions(): protoLoader.Options }).defaultOptions();

type Method = {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  originalName?: string;
  requestSerialize(v: unknown): Buffer | Uint8Array;
  requestDeserialize(b: Buffer): unknown;
  responseSerialize(v: unknown): Buffer | Uint8Array;
  responseDeserialize(b: Buffer): unknown;
};
type Services = Record<string, Record<string, Method>>;

function both(json: object): { full: Services; light: Services } {
  const all = protoLoader.fromJSON(json, gaxOptions) as Record<string, object>;
  const full = Object.fromEntries(Object.entries(all).filter(([, d]) => !('format' in d))) as Services;
  return { full, light: servicesPackageDefinition(gax, json) as unknown as Services };
}

describe('servicesPackageDefinition', () => {
  for (const [label, json] of Object.entries(JSONS)) {
    it(`${label}: the services and methods proto-loader defines, with the same paths and aliases`, () => {
      const { full, light } = both(json);
      expect(Object.keys(light).sort()).toEqual(Object.keys(full).sort());
      expect(Object.keys(light).length).toBeGreaterThan(0);
      for (const [service, methods] of Object.entries(full)) {
        expect(Object.keys(light[service]!).sort()).toEqual(Object.keys(methods).sort());
        for (const [name, m] of Object.entries(methods)) {
          const l = light[service]![name]!;
          expect([l.path, l.requestStream, l.responseStream, l.originalName]).toEqual([
            m.path,
            m.requestStream,
            m.responseStream,
            m.originalName,
          ]);
        }
      }
    });
  }

  it('serializes the Cloud Run requests runguard sends to the same bytes, and reads responses the same', () => {
    const { full, light } = both(JSONS.run);
    const name = 'projects/p/locations/europe-west1/services/s';
    const requests: Array<[string, string, unknown]> = [
      ['google.cloud.run.v2.Services', 'GetService', { name }],
      [
        'google.cloud.run.v2.Services',
        'UpdateService',
        {
          service: { name, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', invokerIamDisabled: false, etag: 'e1' },
          updateMask: { paths: ['ingress', 'invoker_iam_disabled'] },
        },
      ],
      ['google.cloud.run.v2.Services', 'GetIamPolicy', { resource: name, options: { requestedPolicyVersion: 3 } }],
      [
        'google.cloud.run.v2.Services',
        'SetIamPolicy',
        {
          resource: name,
          policy: {
            version: 3,
            etag: Buffer.from('BwY='),
            bindings: [
              {
                role: 'roles/run.invoker',
                members: ['user:a@example.com'],
                condition: { title: 't', expression: 'request.time < timestamp("2030-01-01T00:00:00Z")' },
              },
            ],
          },
        },
      ],
      ['google.cloud.run.v2.Services', 'ListServices', { parent: 'projects/p/locations/l', pageSize: 500 }],
    ];
    for (const [service, method, request] of requests) {
      const f = full[service]![method]!;
      const l = light[service]![method]!;
      expect(Buffer.from(l.requestSerialize(request))).toEqual(Buffer.from(f.requestSerialize(request)));
    }
    const service = {
      name,
      ingress: 'INGRESS_TRAFFIC_ALL',
      invokerIamDisabled: true,
      generation: '7',
      labels: { team: 'shop' },
      template: {
        containers: [{ image: 'gcr.io/p/i', env: [{ name: 'A', value: 'b' }] }],
        maxInstanceRequestConcurrency: 80,
      },
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      etag: 'e2',
    };
    const get = full['google.cloud.run.v2.Services']!.GetService!;
    const bytes = Buffer.from(get.responseSerialize(service));
    expect(light['google.cloud.run.v2.Services']!.GetService!.responseDeserialize(bytes)).toEqual(
      get.responseDeserialize(bytes),
    );
    const policy = {
      version: 1,
      etag: Buffer.from('BwY='),
      bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }],
    };
    const iam = full['google.cloud.run.v2.Services']!.GetIamPolicy!;
    const policyBytes = Buffer.from(iam.responseSerialize(policy));
    expect(light['google.cloud.run.v2.Services']!.GetIamPolicy!.responseDeserialize(policyBytes)).toEqual(
      iam.responseDeserialize(policyBytes),
    );
  });

  it('names methods as lodash.camelcase does', () => {
    for (const n of ['GetService', 'GetIamPolicy', 'ListServices', 'TestIamPermissions', 'GetHTTPThing', 'V2Get'])
      expect(lowerCamel(n)).toBe(camelCase(n));
  });
});

describe('servicesOnlyGax', () => {
  const operations = gaxRequire('./operationsClient.js') as GaxOperationsModule;
  const protoCache = (gax.GrpcClient as unknown as { protoCache: Map<string, unknown> }).protoCache;

  it('loads a JSON once per gRPC module, as gax shares its packages between clients', () => {
    const light = servicesOnlyGax(gax, operations);
    // Every caller on one gax (the Cloud Run client, each Firestore store) gets the same wrapper.
    expect(servicesOnlyGax(gax, operations)).toBe(light);
    const a = new light.GrpcClient({ grpc: gax.grpc });
    const b = new (servicesOnlyGax(gax, operations).GrpcClient)({ grpc: gax.grpc });
    const pkg = a.loadProtoJSON(JSONS.run);
    expect(b.loadProtoJSON(JSONS.run)).toBe(pkg);
    expect(a.loadProtoJSON(JSONS.locations)).not.toBe(pkg);
    // A service client constructor, as loadPackageDefinition makes it, with the proto's methods.
    type Loaded = { google: { cloud: { run: { v2: { Services: { service: Record<string, unknown> } } } } } };
    const Services = (pkg as unknown as Loaded).google.cloud.run.v2.Services;
    expect(typeof Services).toBe('function');
    expect(Object.keys(Services.service)).toContain('UpdateService');
  });

  it("builds the operations client on the services-only GrpcClient, never on gax's proto-loader", () => {
    const before = protoCache.size;
    const builder = servicesOnlyGax(gax, operations).lro({ grpc: gax.grpc }) as unknown as {
      operationsClient(opts: object): { getOperation: unknown };
    };
    const client = builder.operationsClient({
      servicePath: '127.0.0.1',
      port: 9,
      sslCreds: gax.grpc.credentials.createInsecure(),
    });
    expect(typeof client.getOperation).toBe('function');
    // gax's GrpcClient caches every JSON it gives proto-loader: nothing was added.
    expect(protoCache.size).toBe(before);
    expect(gax.lro({ grpc: gax.grpc })).toBeDefined();
    expect(protoCache.size).toBe(before + 1);
  });
});
