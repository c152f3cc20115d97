// Constructing a gax client turns its whole proto JSON into a gRPC package through @grpc/proto-loader,
// which also builds every message's descriptor and the files' serialized descriptors, for gRPC
// reflection that a client never uses: for the Cloud Run client that was ~70% of its construction
// (~0.2 s of CPU on a cold start). The client only needs the services: their method paths and each
// method's (de)serializer, which proto-loader makes from the same protobufjs types in the same way.

type Gax = typeof import('google-gax');
type Root = ReturnType<Gax['protobufFromJSON']>;
type Namespace = InstanceType<Gax['protobuf']['Namespace']>;
type Service = InstanceType<Gax['protobuf']['Service']>;
type ProtoType = InstanceType<Gax['protobuf']['Type']>;
type PackageDefinition = Parameters<Gax['grpc']['loadPackageDefinition']>[0];
type MethodDefinition = Record<string, unknown>;

/**
 * The options gax gives proto-loader (GrpcClient.defaultOptions, private): what a response
 * deserializes to — longs and enums as strings, defaults filled in, the set member of each oneof named.
 */
export const GAX_TO_OBJECT = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true } as const;

/**
 * proto-loader's createPackageDefinition for the services only: the same paths, stream flags,
 * method aliases and (de)serializers, without the message and enum definitions.
 */
export function servicesPackageDefinition(gax: Gax, json: Parameters<Gax['protobufFromJSON']>[0]): PackageDefinition {
  // gax caches this Root by the JSON's hash and reads the client's long-running operation types from it.
  const root: Root = gax.protobufFromJSON(json);
  const definition: Record<string, Record<string, MethodDefinition>> = {};
  const visit = (ns: Namespace, prefix: string) => {
    for (const obj of ns.nestedArray) {
      const name = prefix ? `${prefix}.${obj.name}` : obj.name;
      if (obj instanceof gax.protobuf.Service) definition[name] = serviceDefinition(obj, name);
      // Messages and enums are leaves for proto-loader too: it never looks for services inside a message.
      else if (obj instanceof gax.protobuf.Type || obj instanceof gax.protobuf.Enum) continue;
      else if (obj instanceof gax.protobuf.Namespace) visit(obj, name);
    }
  };
  visit(root, '');
  return definition as unknown as PackageDefinition;
}

function serviceDefinition(service: Service, serviceName: string): Record<string, MethodDefinition> {
  const methods: Record<string, MethodDefinition> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType as ProtoType;
    const response = method.resolvedResponseType as ProtoType;
    methods[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: lowerCamel(method.name),
    };
  }
  return methods;
}

const serializer = (type: ProtoType) => (arg: unknown) => {
  if (Array.isArray(arg))
    throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
  return type.encode(type.fromObject(arg as Record<string, unknown>)).finish();
};

const deserializer = (type: ProtoType) => (bytes: Buffer) => type.toObject(type.decode(bytes), GAX_TO_OBJECT);

/** lodash.camelcase, which proto-loader uses, for the PascalCase names of RPC methods. */
export function lowerCamel(name: string): string {
  const words = name.match(/[A-Z]{2,}(?=[A-Z][a-z]+|[0-9]|\b|_)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g) ?? [];
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

/** gax's long-running operations module (google-gax/build/src/operationsClient.js); gax's index omits the builder. */
export interface GaxOperationsModule {
  OperationsClientBuilder: new (gaxGrpc: InstanceType<Gax['GrpcClient']>) => unknown;
}

/**
 * google-gax for a generated client's constructor (its documented `gaxInstance` argument), whose
 * GrpcClient loads only the services. Everything else is gax itself, but for `lro()`: gax's own
 * builds the operations client on gax's GrpcClient, which made proto-loader build the whole
 * google.longrunning package, descriptors included (~45 ms of a cold revert, profiled). This one is
 * gax's, line for line, on the services-only GrpcClient: the Operations service is all it reads.
 */
export function servicesOnlyGax(gax: Gax, operations: GaxOperationsModule): Gax {
  let light = wrapped.get(gax);
  if (!light) wrapped.set(gax, (light = wrap(gax, operations)));
  return light;
}

/**
 * One wrapper per gax module, so that every client built on it (the Cloud Run client, the state and
 * digest stores' Firestore clients, each client Firestore's pool adds) shares its packages, as gax's
 * own cache shares its packages between clients.
 */
const wrapped = new WeakMap<Gax, Gax>();

function wrap(gax: Gax, operations: GaxOperationsModule): Gax {
  // Per gRPC module too: a package is loaded into the gRPC its client was given.
  type GrpcPackage = ReturnType<Gax['grpc']['loadPackageDefinition']>;
  const loaded = new WeakMap<object, WeakMap<object, GrpcPackage>>();
  class ServicesOnlyGrpcClient extends gax.GrpcClient {
    override loadProtoJSON(json: Parameters<Gax['protobufFromJSON']>[0]) {
      let byJson = loaded.get(this.grpc);
      if (!byJson) loaded.set(this.grpc, (byJson = new WeakMap()));
      let grpcPackage = byJson.get(json);
      if (!grpcPackage) {
        grpcPackage = this.grpc.loadPackageDefinition(servicesPackageDefinition(gax, json));
        byJson.set(json, grpcPackage);
      }
      return grpcPackage;
    }
  }
  const lro = Object.assign(
    (options: ConstructorParameters<Gax['GrpcClient']>[0] = {}) =>
      new operations.OperationsClientBuilder(
        new ServicesOnlyGrpcClient({ scopes: gax.lro.ALL_SCOPES, ...options } as typeof options),
      ),
    { SERVICE_ADDRESS: gax.lro.SERVICE_ADDRESS, ALL_SCOPES: gax.lro.ALL_SCOPES },
  );
  return Object.create(gax, { GrpcClient: { value: ServicesOnlyGrpcClient }, lro: { value: lro } }) as Gax;
}
