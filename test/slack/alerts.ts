import type { Decision, Finding, Severity } from '../../functions/core/types.js';
import type { Alert } from '../../functions/core/notify.js';
import type { Done } from '../../functions/core/verdict.js';

/** A realistic alert about a Cloud Run service, for notifier tests. */
export function alertFor(opts: {
  service?: string;
  project?: string;
  severity?: Severity;
  rule?: string;
  done?: Done;
  insertId?: string;
}): Alert {
  const project = opts.project ?? 'shop-prod';
  const resource = `projects/${project}/locations/europe-west1/services/${opts.service ?? 'checkout'}`;
  const rule = opts.rule ?? 'run-ingress-all';
  const finding: Finding = {
    rule,
    severity: opts.severity ?? 'HIGH',
    title: 'Cloud Run service accepts traffic from the internet',
    message: 'ingress opened to all traffic',
    resource,
    key: `${rule}|${resource}`,
    remediation: { action: 'set-ingress', params: { safeIngress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' } },
  };
  const decision: Decision = {
    finding,
    action: 'revert',
    mode: 'enforce',
    reason: 'project is enforced: set-ingress',
    exemption: null,
    expiredExemptions: [],
  };
  return {
    change: {
      insertId: opts.insertId ?? 'ins-1',
      messageId: 'msg-1',
      method: 'google.cloud.run.v2.Services.UpdateService',
      timestamp: '2026-11-23T10:00:00.123456Z',
      resource,
      project,
      location: 'europe-west1',
      actor: 'dana@example.com',
      principals: ['dana@example.com'],
      tool: 'console',
      toolDetail: '',
    },
    verdict: {
      decision,
      done: opts.done ?? 'reverted',
      summary:
        'reverted at 2026-11-23T10:00:01.000Z: set ingress to INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER ' +
        '(was INGRESS_TRAFFIC_ALL); now ingress is INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
      outcome: null,
      fight: null,
    },
    observation: { source: 'live' },
    rule: {
      title: finding.title,
      explanation: 'Anyone on the internet can reach it directly, bypassing the load balancer and Cloud Armor.',
      fix:
        `gcloud run services update checkout --project ${project} --region europe-west1 ` +
        '--ingress internal-and-cloud-load-balancing',
    },
  };
}
