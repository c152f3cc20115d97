import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as Gax from 'google-gax';

const require = createRequire(import.meta.url);
// build/src/index.js → build/
const runBuild = resolve(dirname(require.resolve('@google-cloud/run')), '..');
// google-gax's package.json is not exported, and two majors may be installed: take the one the
// Run client itself loads, by resolving from the client's own directory.
const runRequire = createRequire(resolve(runBuild, 'src', 'index.js'));
const gaxEntry = runRequire.resolve('google-gax');
const gax = runRequire('google-gax') as typeof Gax;

/** Include dirs: the client ships only google/cloud/run/v2; iam, longrunning and api come from gax. */
export const PROTO_DIRS = [resolve(runBuild, 'protos'), resolve(dirname(gaxEntry), '..', 'protos')];

/**
 * The gRPC services, with requests decoded as plain objects. defaults:false keeps wire presence,
 * which UpdateService without a mask needs ("replace the fields given"). enums/longs as strings
 * match what the stand-in stores and hands to tests.
 */
export function loadGrpcPackage(): {
  services: grpc.ServiceClientConstructor;
  operations: grpc.ServiceClientConstructor;
  locations: grpc.ServiceClientConstructor;
} {
  const def = protoLoader.loadSync(
    [
      'google/cloud/run/v2/service.proto',
      'google/longrunning/operations.proto',
      'google/cloud/location/locations.proto',
    ],
    { includeDirs: PROTO_DIRS, keepCase: false, longs: String, enums: String, defaults: false, oneofs: false },
  );
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: {
      cloud: { run: { v2: { Services: grpc.ServiceClientConstructor } } };
      longrunning: { Operations: grpc.ServiceClientConstructor };
    } & { cloud: { location: { Locations: grpc.ServiceClientConstructor } } };
  };
  return {
    services: pkg.google.cloud.run.v2.Services,
    operations: pkg.google.longrunning.Operations,
    locations: pkg.google.cloud.location.Locations,
  };
}

// The same schema (protos.json) and protobufjs the client decodes LRO results with.
const root = gax.protobuf.Root.fromJSON(JSON.parse(readFileSync(resolve(runBuild, 'protos', 'protos.json'), 'utf8')));
const ServiceType = root.lookupType('google.cloud.run.v2.Service');
const SERVICE_TYPE_URL = 'type.googleapis.com/google.cloud.run.v2.Service';

export type Obj = Record<string, unknown>;

/**
 * Normal form for a stored Service: camelCase, enums and int64 as strings, every scalar present
 * with its default (so tests can read invokerIamDisabled === false). Unknown keys are dropped, and
 * enum numbers become names, exactly as the wire would do it.
 */
export function canonicalService(obj: Obj): Obj {
  return ServiceType.toObject(ServiceType.fromObject(obj), {
    enums: String,
    longs: String,
    defaults: true,
    arrays: true,
    objects: true,
  }) as Obj;
}

/** google.protobuf.Any holding a Service, in the field names proto-loader expects (keepCase false). */
export function packService(obj: Obj): { typeUrl: string; value: Buffer } {
  return { typeUrl: SERVICE_TYPE_URL, value: Buffer.from(ServiceType.encode(ServiceType.fromObject(obj)).finish()) };
}

/** The top-level Service fields a caller may set; everything else is OUTPUT_ONLY or the IDENTIFIER. */
export const MUTABLE_SERVICE_FIELDS = new Set([
  'description',
  'labels',
  'annotations',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'template',
  'traffic',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'iapEnabled',
  'multiRegionSettings',
  'customAudiences',
  'buildConfig',
]);
