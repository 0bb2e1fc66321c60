// Fault: the webhook receiver is down for a while, then comes back (API guide: Webhooks).
// Releases are created while the receiver's port refuses connections; a
// separate worker process (`node dist/worker.js`) keeps retrying on the
// schedule; once the receiver is back, every event reaches it — each
// webhook-id at least once, correctly signed — and none is lost or failed.
import { createFaultDatabase, FaultDatabase } from './helpers/fault-database';
import { sleep } from './helpers/http-client';
import { OutageReceiver } from './helpers/outage-receiver';
import { ApiProcess, createOrganization, deploymentEnv, ManagedProcess, Organization, startApi, startWorker, stopAllProcesses } from './helpers/processes';
import { attemptsOf, createRelease, eventsSince, messagesOf, subscribeReceiver, WEBHOOK_TEST_SETTINGS } from './helpers/webhook-setup';

/** Shorter than the retry schedule's span (≈ 8.7 s ± 20 %), so no message may run out of attempts. */
const OUTAGE_MS = 4000;

describe('Webhook receiver down, then up', () => {
  let database: FaultDatabase;
  let api: ApiProcess;
  let worker: ManagedProcess;
  let org: Organization;
  const receiver = new OutageReceiver();

  beforeAll(async () => {
    database = await createFaultDatabase();
    const env = deploymentEnv(database.url, WEBHOOK_TEST_SETTINGS);
    org = await createOrganization(env);
    await receiver.start();
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  });

  afterAll(async () => {
    await stopAllProcesses();
    await receiver.stop();
    await database?.drop();
  });

  it('delivers every event produced during the outage once the receiver is back', async () => {
    const endpointId = await subscribeReceiver(api.baseUrl, org, receiver);
    const created: string[] = [];

    // Before: deliveries flow.
    for (let i = 0; i < 3; i++) created.push(await createRelease(api.baseUrl, org, `Before ${i}`));
    await receiver.waitFor('the first deliveries', () => receiver.verifiedIds().size >= 3, 10_000);

    // During: the port refuses connections while events keep being produced.
    await receiver.stop();
    const downAt = Date.now();
    for (let i = 0; i < 20; i++) {
      created.push(await createRelease(api.baseUrl, org, `During ${i}`));
      await sleep(50);
    }
    await sleep(OUTAGE_MS - (Date.now() - downAt));
    const refusedDuringOutage = (await attemptsOf(database, endpointId)).filter((a) => a.status_code === null);
    await receiver.start();
    const upAt = Date.now();

    // After: everything arrives.
    const events = await eventsSince(database, org.orgId, endpointId);
    await receiver.waitFor(
      'every message',
      () => events.length > 0 && receiver.verifiedIds().size >= events.length,
      20_000,
    );
    await sleep(300); // let the worker record the last outcomes
    const messages = await messagesOf(database, endpointId);
    const attempts = await attemptsOf(database, endpointId);

    // The fault happened: attempts were refused during the outage.
    expect(refusedDuringOutage.length).toBeGreaterThan(0);
    expect(refusedDuringOutage.every((a) => typeof a.error === 'string' && a.error.length > 0)).toBe(true);

    // One message per event, all delivered, none failed.
    expect(messages.map((m) => m.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(messages.filter((m) => m.status !== 'delivered')).toEqual([]);

    // The receiver saw every message id with a valid signature, and nothing else.
    const received = receiver.verifiedIds();
    expect(messages.filter((m) => !received.has(m.id)).map((m) => m.id)).toEqual([]);
    expect([...received].filter((id) => !messages.some((m) => m.id === id))).toEqual([]);
    expect(receiver.deliveries.filter((d) => !d.verified)).toEqual([]);

    // Every release the API acknowledged reached the receiver as release.created.
    const announced = new Set(receiver.deliveries.filter((d) => d.json?.type === 'release.created').map((d) => d.json.data.release.id as string));
    expect(created.filter((id) => !announced.has(id))).toEqual([]);

    // Messages produced during the outage needed retries; each attempt is on record once.
    const retried = messages.filter((m) => m.attempt_count > 1);
    expect(retried.length).toBeGreaterThanOrEqual(20);
    expect(attempts.length).toBe(messages.reduce((sum, m) => sum + m.attempt_count, 0));
    expect(worker.running).toBe(true);

    const lastArrival = Math.max(...receiver.deliveries.map((d) => d.receivedAt));
    console.log(
      `receiver outage: ${messages.length} messages, ${attempts.length} attempts (${refusedDuringOutage.length} refused during the ${upAt - downAt} ms outage), ` +
        `all delivered ${lastArrival - upAt} ms after the receiver came back`,
    );
  });
});
