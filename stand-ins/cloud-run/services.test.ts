// Drives the Cloud Run stand-in only through the real @google-cloud/run v2 ServicesClient, so the
// tests pin down what production code will see: decoding, LRO polling, error codes.
import { beforeEach, describe, expect, it } from 'vitest';
import { protos, ServicesClient } from '@google-cloud/run';
import { useCloudRunStandIn } from './use.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const { IngressTraffic } = protos.google.cloud.run.v2;
const PARENT = 'projects/p1/locations/europe-west1';
const NAME = `${PARENT}/services/hello`;

const { standIn, client } = useCloudRunStandIn({ client: (s) => new ServicesClient(s.clientOptions) });
beforeEach(() => {
  standIn.reset();
  standIn.seedService({ name: NAME, ingress: 'INGRESS_TRAFFIC_ALL', labels: { team: 'a' }, invokerIamDisabled: true });
});

describe('Cloud Run stand-in: services', () => {
  it('getService returns the seeded service; unary results carry enums and int64 as strings', async () => {
    const [svc] = await client.getService({ name: NAME });
    expect(svc).toMatchObject({
      name: NAME,
      ingress: 'INGRESS_TRAFFIC_ALL',
      generation: '1',
      invokerIamDisabled: true,
      labels: { team: 'a' },
    });
    expect(svc.etag).toBe(standIn.service(NAME)?.etag);
    const [call] = standIn.callsTo('GetService');
    expect(call?.request).toEqual({ name: NAME });
    // The routing header the real API uses to pick a region.
    expect(String(call?.metadata['x-goog-request-params'])).toContain('location=europe-west1');
  });

  it(
    'updateService with updateMask [ingress] + etag changes only ingress; ' + 'LRO result has numeric enums and Long',
    async () => {
      const before = standIn.service(NAME)!;
      const [op] = await client.updateService({
        service: {
          name: NAME,
          ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
          labels: { team: 'IGNORED' },
          etag: before.etag as string,
        },
        updateMask: { paths: ['ingress'] },
      });
      expect(op.done).toBe(true);
      const [result] = await op.promise();
      expect(result.ingress).toBe(IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY); // 2, a number
      expect(typeof result.generation).toBe('object'); // Long
      expect(String(result.generation)).toBe('2');
      const after = standIn.service(NAME)!;
      expect(after).toMatchObject({
        ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
        labels: { team: 'a' },
        invokerIamDisabled: true,
        generation: '2',
      });
      expect(after.etag).not.toBe(before.etag);
      expect(standIn.callsTo('UpdateService')[0]?.request.updateMask).toEqual({ paths: ['ingress'] });
      expect(standIn.callsTo('GetOperation')).toHaveLength(0); // done:true needs no polling
    },
  );

  it('updateService accepts snake_case mask paths and resets a masked field that is absent', async () => {
    // false is the proto3 default, so it never reaches the wire: the mask alone says "set it".
    const [op] = await client.updateService({
      service: { name: NAME, invokerIamDisabled: false },
      updateMask: { paths: ['invoker_iam_disabled'] },
    });
    await op.promise();
    expect(standIn.service(NAME)).toMatchObject({ invokerIamDisabled: false, ingress: 'INGRESS_TRAFFIC_ALL' });
  });

  it('updateService without a mask replaces only the mutable fields given', async () => {
    const [op] = await client.updateService({ service: { name: NAME, labels: { team: 'b' }, generation: 99 } });
    await op.promise();
    expect(standIn.service(NAME)).toMatchObject({
      labels: { team: 'b' },
      ingress: 'INGRESS_TRAFFIC_ALL',
      generation: '2',
    });
  });

  it('updateService with a stale etag is ABORTED and changes nothing', async () => {
    const stale = standIn.service(NAME)!.etag as string;
    standIn.seedService({ ...standIn.service(NAME), labels: { team: 'other-writer' } });
    await expect(
      client.updateService({
        service: { name: NAME, ingress: 'INGRESS_TRAFFIC_NONE', etag: stale },
        updateMask: { paths: ['ingress'] },
      }),
    ).rejects.toMatchObject({ code: 10 });
    expect(standIn.service(NAME)?.ingress).toBe('INGRESS_TRAFFIC_ALL');
  });

  it('getService of a missing service is NOT_FOUND with the real wording', async () => {
    await expect(client.getService({ name: `${PARENT}/services/nope` })).rejects.toMatchObject({
      code: 5,
      details: "Resource 'nope' of kind 'SERVICE' in region 'europe-west1' in project 'p1' does not exist.",
    });
  });

  it('a pending operation is polled to completion through Operations/GetOperation', async () => {
    standIn.pendingPolls(2);
    const [op] = await client.updateService({
      service: { name: NAME, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' },
      updateMask: { paths: ['ingress'] },
    });
    expect(op.done).toBe(false);
    const [result] = await op.promise();
    expect(result.ingress).toBe(IngressTraffic.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER);
    expect(standIn.callsTo('GetOperation')).toHaveLength(3); // 2 pending + 1 done
    const progress = await client.checkUpdateServiceProgress(op.name!);
    expect(progress.done).toBe(true);
  });

  it('createService and deleteService round-trip; a duplicate create is ALREADY_EXISTS', async () => {
    const [created] = await client.createService({
      parent: PARENT,
      serviceId: 'new',
      service: { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' },
    });
    const [svc] = await created.promise();
    expect(svc.name).toBe(`${PARENT}/services/new`);
    expect(standIn.policy(`${PARENT}/services/new`)?.bindings).toEqual([]);
    await expect(client.createService({ parent: PARENT, serviceId: 'new', service: {} })).rejects.toMatchObject({
      code: 6,
    });
    const [deleted] = await client.deleteService({ name: `${PARENT}/services/new` });
    await deleted.promise();
    expect(standIn.service(`${PARENT}/services/new`)).toBeUndefined();
    await expect(client.getIamPolicy({ resource: `${PARENT}/services/new` })).rejects.toMatchObject({ code: 5 });
  });

  it('listServices pages per parent with page_size/page_token', async () => {
    for (const id of ['b', 'c', 'd', 'e']) standIn.seedService({ name: `${PARENT}/services/${id}` });
    standIn.seedService({ name: 'projects/p1/locations/us-central1/services/elsewhere' });
    standIn.seedService({ name: 'projects/p2/locations/europe-west1/services/other-project' });

    const [firstPage, next] = await client.listServices({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(firstPage.map((s) => s.name?.split('/').pop())).toEqual(['b', 'c']);
    expect(next?.pageToken).toBeTruthy();

    const all: string[] = [];
    // Without { autoPaginate: false } gax warns (AutopaginateTrueWarning) on every async iteration.
    for await (const s of client.listServicesAsync({ parent: PARENT, pageSize: 2 }, { autoPaginate: false })) {
      all.push(s.name!.split('/').pop()!);
    }
    expect(all).toEqual(['b', 'c', 'd', 'e', 'hello']);
    // One manual page, then three pages fetched by the iterator, each after the first carrying a token.
    expect(standIn.callsTo('ListServices').map((c) => Boolean(c.request.pageToken))).toEqual([
      false,
      false,
      true,
      true,
    ]);

    // The v2 API lists one region at a time; the sweep enumerates regions with ListLocations.
    await expect(client.listServices({ parent: 'projects/p1/locations/-' })).rejects.toMatchObject({ code: 3 });
    const regions: string[] = [];
    for await (const l of client.listLocationsAsync({ name: 'projects/p1' })) regions.push(l.locationId!);
    expect(regions).toContain('us-central1');
    expect(regions).toHaveLength(new Set(regions).size);
    await expect(
      client.listServices({ parent: 'projects/p1/locations/x', pageToken: next!.pageToken! }, { autoPaginate: false }),
    ).rejects.toMatchObject({ code: 3 });
  });

  it('measures per-call latency of a warm getService, and injected latency applies per call', async () => {
    await client.getService({ name: NAME });
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await client.getService({ name: NAME });
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[100]!;
    const p99 = samples[198]!;
    console.info(`[stand-ins] warm getService over gRPC: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    expect(p50).toBeLessThan(50);

    standIn.latency(80);
    const t = performance.now();
    await client.getService({ name: NAME });
    expect(performance.now() - t).toBeGreaterThanOrEqual(75);
  });
});
