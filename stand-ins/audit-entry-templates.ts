import type { LogEntry } from '../functions/core/types.js';

// The two audit entries the demo and the live-path tests start from, as data: a v2 UpdateService and a
// v2 SetIamPolicy, copied from
// test/fixtures/auditlogs/run-v2-updateservice--mask-ingress-internal-only--constructed.json
// and run-v2-setiampolicy--allauthenticatedusers-invoker--constructed.json (which follow the real samples' shape).
// Kept here so `npm start` needs nothing from test/; a test checks the copies still match.

export const UPDATE_SERVICE_TEMPLATE = {
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    authenticationInfo: {
      principalEmail: 'sre.oncall@example.com',
      principalSubject: 'user:sre.oncall@example.com',
    },
    requestMetadata: {
      callerIp: '198.51.100.7',
      callerSuppliedUserAgent: 'gl-python/3.12.3 grpc/1.66.1 gax/2.21.0 gapic/0.17.0 gccl/0.17.0,gzip(gfe)',
      requestAttributes: {
        time: '2025-03-12T16:40:03.771902Z',
        auth: {},
      },
      destinationAttributes: {},
    },
    serviceName: 'run.googleapis.com',
    methodName: 'google.cloud.run.v2.Services.UpdateService',
    authorizationInfo: [
      {
        resource: 'projects/test-project-1234/locations/us-central1/services/orders-api',
        permission: 'run.services.update',
        granted: true,
        resourceAttributes: {},
        permissionType: 'ADMIN_WRITE',
      },
    ],
    resourceName: 'projects/test-project-1234/locations/us-central1/services/orders-api',
    request: {
      '@type': 'type.googleapis.com/google.cloud.run.v2.UpdateServiceRequest',
      service: {
        name: 'projects/test-project-1234/locations/us-central1/services/orders-api',
        ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
        template: {
          containers: [
            {
              image: 'us-central1-docker.pkg.dev/test-project-1234/apps/orders-api:2.0.1',
            },
          ],
        },
      },
      updateMask: {
        paths: ['ingress'],
      },
    },
    response: {
      '@type': 'type.googleapis.com/google.longrunning.Operation',
      name: 'projects/test-project-1234/locations/us-central1/operations/a7d2e9f1-3c48-4b5a-8e6d-0f1b2c3d4e5f',
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.run.v2.Service',
        name: 'projects/test-project-1234/locations/us-central1/services/orders-api',
        generation: '8',
        reconciling: true,
      },
    },
    resourceLocation: {
      currentLocations: ['us-central1'],
    },
  },
  insertId: 'k3n8w2e1x4pq',
  resource: {
    type: 'cloud_run_revision',
    labels: {
      configuration_name: '',
      location: 'us-central1',
      project_id: 'test-project-1234',
      revision_name: '',
      service_name: 'orders-api',
    },
  },
  timestamp: '2025-03-12T16:40:03.602114Z',
  severity: 'NOTICE',
  logName: 'projects/test-project-1234/logs/cloudaudit.googleapis.com%2Factivity',
  operation: {
    id: 'projects/test-project-1234/locations/us-central1/operations/a7d2e9f1-3c48-4b5a-8e6d-0f1b2c3d4e5f',
    producer: 'run.googleapis.com',
    first: true,
  },
  receiveTimestamp: '2025-03-12T16:40:04.211847395Z',
} as LogEntry;

export const SET_IAM_POLICY_TEMPLATE = {
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    status: {},
    authenticationInfo: {
      principalEmail: 'alex.dev@example.com',
      principalSubject: 'user:alex.dev@example.com',
    },
    requestMetadata: {
      callerIp: '203.0.113.24',
      callerSuppliedUserAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/131.0.0.0 Safari/537.36,gzip(gfe),gzip(gfe)',
      requestAttributes: {
        time: '2025-03-15T13:05:09.440128Z',
        auth: {},
      },
      destinationAttributes: {},
    },
    serviceName: 'run.googleapis.com',
    methodName: 'google.cloud.run.v2.Services.SetIamPolicy',
    authorizationInfo: [
      {
        resource: 'projects/test-project-1234/locations/us-central1/services/internal-dashboard',
        permission: 'run.services.setIamPolicy',
        granted: true,
        resourceAttributes: {},
        permissionType: 'ADMIN_WRITE',
      },
    ],
    resourceName: 'projects/test-project-1234/locations/us-central1/services/internal-dashboard',
    request: {
      '@type': 'type.googleapis.com/google.iam.v1.SetIamPolicyRequest',
      resource: 'projects/test-project-1234/locations/us-central1/services/internal-dashboard',
      policy: {
        bindings: [
          {
            role: 'roles/run.invoker',
            members: ['allAuthenticatedUsers', 'group:dashboard-users@example.com'],
          },
        ],
        etag: 'BwYQ3kX1p9E=',
      },
    },
    response: {
      '@type': 'type.googleapis.com/google.iam.v1.Policy',
      version: 1,
      bindings: [
        {
          role: 'roles/run.invoker',
          members: ['allAuthenticatedUsers', 'group:dashboard-users@example.com'],
        },
      ],
      etag: 'BwYQ3lA7c2M=',
    },
    resourceLocation: {
      currentLocations: ['us-central1'],
    },
  },
  insertId: 'c4d1e8f5a2b7',
  resource: {
    type: 'cloud_run_revision',
    labels: {
      configuration_name: '',
      location: 'us-central1',
      project_id: 'test-project-1234',
      revision_name: '',
      service_name: '',
    },
  },
  timestamp: '2025-03-15T13:05:09.301447Z',
  severity: 'NOTICE',
  logName: 'projects/test-project-1234/logs/cloudaudit.googleapis.com%2Factivity',
  receiveTimestamp: '2025-03-15T13:05:09.917203558Z',
} as LogEntry;
