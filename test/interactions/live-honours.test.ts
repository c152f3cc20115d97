import { describe, expect, it } from 'vitest';
import { handleAuditEvent } from '../../functions/audit-events/handler.js';
import { useCloudRunStandIn } from '../../stand-ins/cloud-run/use.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { cloudEventFor, updateServiceEntry } from '../../stand-ins/audit-entries.js';
import { harness } from '../harness.js';
import { CONFIG, kit, openModal, postAlert, send, SLACK, submitPayload } from './helpers.js';

// An acknowledgement from Slack is honoured by the live path while it lasts, and only that long.
const PROD = 'projects/shop-prod/locations/europe-west1/services/checkout';

describe('a breakglass acknowledgement on the live path', () => {
  const { standIn: run, client } = useCloudRunStandIn();
  const slack = useSlackStandIn(SLACK);

  it(
    'keeps an exempted finding in an enforce project as it is until the exemption expires, ' + 'then reverts it',
    async () => {
      run.seedService({ name: PROD, ingress: 'INGRESS_TRAFFIC_ALL' });
      run.seedPolicy(PROD, { bindings: [] });
      const h = harness(run, client, CONFIG);
      const k = kit(slack, { state: h.deps.state, clock: h.clock });

      const msg = await postAlert(slack); // dana@example.com opened ingress on shop-prod/checkout
      const metadata = await openModal(k, slack, msg, 'U0ALICE');
      expect((await send(k, submitPayload('U0ALICE', metadata, 'partner migration tonight', '1h'))).status).toBe(200);

      const event = (n: number) =>
        cloudEventFor(
          updateServiceEntry({
            name: PROD,
            insertId: `bg-${n}`,
            actor: 'dana@example.com',
            service: { ingress: 'INGRESS_TRAFFIC_ALL' },
          }),
          `m-bg-${n}`,
        );
      h.clock.now += 59 * 60_000;
      const during = await handleAuditEvent(event(1), h.deps);
      const exempt = during.verdicts.find((v) => v.decision.finding.rule === 'run-ingress-all')!;
      expect(exempt.done).toBe('exempt');
      expect(exempt.decision.exemption).toMatchObject({
        source: 'breakglass',
        approvedBy: 'alice@example.com',
        reason: 'partner migration tonight',
      });
      expect(run.callsTo('UpdateService')).toHaveLength(0);
      expect(run.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_ALL');

      h.clock.now += 2 * 60_000; // 61 minutes after the acknowledgement
      const after = await handleAuditEvent(event(2), h.deps);
      const reverted = after.verdicts.find((v) => v.decision.finding.rule === 'run-ingress-all')!;
      expect(reverted.done).toBe('reverted');
      expect(reverted.decision.expiredExemptions).toMatchObject([
        { source: 'breakglass', approvedBy: 'alice@example.com' },
      ]);
      expect(run.service(PROD)!.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    },
  );
});
