import type { LogEntry } from '../functions/core/types.js';
import { setIamPolicyEntry, updateServiceEntry } from '../stand-ins/audit-entries.js';
import type { CloudRunStandIn } from '../stand-ins/cloud-run/index.js';

// The demo: a shop whose production project is enforced and a lab that is only monitored.
const SHOP = 'projects/demo-shop/locations/europe-west1/services';
const LAB = 'projects/demo-lab/locations/us-central1/services';
const INVOKER = 'roles/run.invoker';
const CONSOLE =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36,gzip(gfe)';
const GCLOUD =
  'google-cloud-sdk gcloud/528.0.0 command/gcloud.run.services.update invocation-id/5b1c environment/None ' +
  'environment-version/None client-os/LINUX interactive/True from-script/False python/3.12.8 ' +
  'term/xterm-256color (Linux 6.1.0),gzip(gfe)';
const TERRAFORM =
  'Terraform/1.11.4 (+https://www.terraform.io) Terraform-Plugin-SDK/2.36.0 terraform-provider-google/6.30.0,gzip(gfe)';

export function seedDemo(run: CloudRunStandIn): void {
  for (const [name, members] of [
    [`${SHOP}/checkout`, ['group:shop-frontend@example.com']],
    [`${SHOP}/storefront`, ['group:shop-frontend@example.com']],
    [`${SHOP}/inventory`, ['serviceAccount:orders@demo-shop.iam.gserviceaccount.com']],
    [`${SHOP}/public-site`, ['allUsers']],
    [`${LAB}/lab-api`, ['group:lab@example.com']],
  ] as const) {
    run.seedService({ name, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', labels: { team: name.split('/')[1]! } });
    run.seedPolicy(name, { bindings: [{ role: INVOKER, members: [...members] }] });
  }
  // The service of the real console entry in test/fixtures/auditlogs/real/, as that entry left it.
  const real = 'projects/test-project-1234/locations/asia-northeast1/services/cloud-run-slack-bot';
  run.seedService({
    name: real,
    ingress: 'INGRESS_TRAFFIC_ALL',
    template: { serviceAccount: 'cloud-run-slack-bot@test-project-1234.iam.gserviceaccount.com' },
  });
  run.seedPolicy(real, {
    bindings: [{ role: INVOKER, members: ['serviceAccount:slack@test-project-1234.iam.gserviceaccount.com'] }],
  });
}

/** What someone "does" in the demo: the stand-in's state is changed as the API would, then the entry is published. */
export function demoEntries(run?: CloudRunStandIn): Array<{ entry: LogEntry; note: string; apply?: () => void }> {
  const open = (name: string) => () => run?.seedService({ ...run.service(name)!, ingress: 'INGRESS_TRAFFIC_ALL' });
  const grant = (name: string, member: string) => () =>
    run?.seedPolicy(name, {
      bindings: [{ role: INVOKER, members: [...run.policy(name)!.bindings[0]!.members, member] }],
    });
  const ingressAll = (name: string, insertId: string, actor: string, userAgent: string) =>
    updateServiceEntry({ name, insertId, actor, userAgent, service: { ingress: 'INGRESS_TRAFFIC_ALL' } });
  return [
    {
      entry: ingressAll(`${SHOP}/checkout`, 'demo-1', 'dana@example.com', CONSOLE),
      note: 'ingress opened in an enforced project: reverted',
      apply: open(`${SHOP}/checkout`),
    },
    {
      entry: setIamPolicyEntry({
        name: `${SHOP}/storefront`,
        insertId: 'demo-2',
        actor: 'alex@example.com',
        bindings: [{ role: INVOKER, members: ['allUsers', 'group:shop-frontend@example.com'] }],
      }),
      note: 'allUsers made invoker: reverted, CRITICAL goes to #security-oncall',
      apply: grant(`${SHOP}/storefront`, 'allUsers'),
    },
    {
      entry: setIamPolicyEntry({
        name: `${SHOP}/public-site`,
        insertId: 'demo-3',
        actor: 'alice@example.com',
        bindings: [{ role: INVOKER, members: ['allUsers'] }],
      }),
      note: 'the same on a service with a reviewed exemption: exempt',
    },
    {
      entry: ingressAll(`${LAB}/lab-api`, 'demo-4', 'sam@example.com', GCLOUD),
      note: 'ingress opened in a monitored project: alert only',
      apply: open(`${LAB}/lab-api`),
    },
    ...[5, 6, 7, 8].map((i) => ({
      entry: ingressAll(`${SHOP}/inventory`, `demo-${i}`, 'terraform@demo-shop.iam.gserviceaccount.com', TERRAFORM),
      note:
        i < 8
          ? 'Terraform keeps re-applying ingress all'
          : 'the 4th time: runguard pauses reverting for one window and escalates (CRITICAL)',
      apply: open(`${SHOP}/inventory`),
    })),
  ];
}
