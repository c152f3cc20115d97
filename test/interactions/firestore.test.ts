import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handleSlackInteraction } from '../../functions/interactions/handler.js';
import { createFirestoreStateStore, type FirestoreStateStore } from '../../functions/state/firestore.js';
import { useSlackStandIn } from '../../stand-ins/slack/use.js';
import { kit, openModal, postAlert, signed, SLACK, submitPayload } from './helpers.js';

// Two instances of slackInteractions, one Firestore (the real emulator): two approvers
// acknowledging the same alert at the same moment leave exactly one exemption.
const host = inject('firestoreHost');
const PROD = 'projects/shop-prod/locations/europe-west1/services/checkout';

describe.skipIf(!host)('breakglass on Firestore', () => {
  const slack = useSlackStandIn(SLACK);
  let store: FirestoreStateStore;
  beforeAll(() => {
    store = createFirestoreStateStore({ emulatorHost: host, prefix: `interactions-${Date.now()}` });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('keeps exactly one exemption when approvers on two instances submit at once', { timeout: 30_000 }, async () => {
    const msg = await postAlert(slack);
    const [one, two] = [kit(slack, { state: store }), kit(slack, { state: store })];
    const m1 = await openModal(one, slack, msg, 'U0ALICE');
    const m2 = await openModal(two, slack, msg, 'U0BOB');
    const [a, b] = await Promise.all([
      handleSlackInteraction(signed(submitPayload('U0ALICE', m1, 'partner load test', '4h'), one.clock.now), one.deps),
      handleSlackInteraction(signed(submitPayload('U0BOB', m2, 'freeze exception', '1h'), two.clock.now), two.deps),
    ]);
    await Promise.all([a.after?.(), b.after?.()]);
    const stored = await store.exemptionsFor(PROD);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      source: 'breakglass',
      rule: 'run-ingress-all',
      resource: PROD,
      requester: expect.stringContaining('@'),
    });
    const loser = stored[0]!.slackUserId === 'U0ALICE' ? b : a;
    expect(JSON.stringify(loser.body)).toContain('Already acknowledged by');
  });
});
