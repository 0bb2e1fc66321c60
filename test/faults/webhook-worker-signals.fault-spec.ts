// Faults on a delivery worker process (`node dist/worker.js`, API guide: Webhooks, Operations).
//
// SIGTERM mid-delivery: the worker finishes the attempts in flight, records
// them, and exits 0.
//
// SIGKILL mid-delivery: the receiver holds the requests open, so the kill
// lands after the requests were sent and before any outcome was recorded. A
// second worker must leave the messages alone while the dead worker's lease
// runs (no double-sending of an attempt), then deliver every one of them, with
// the same webhook-id, once the lease has expired. The lease is
// WEBHOOK_TIMEOUT_MS + 30 s (LEASE_MARGIN_MS in delivery-worker.ts, not
// configurable), so this test waits ≈ 32 s by design.
import { createFaultDatabase, FaultDatabase } from './helpers/fault-database';
import { sleep } from './helpers/http-client';
import { OutageReceiver } from './helpers/outage-receiver';
import { ApiProcess, createOrganization, deploymentEnv, startApi, startWorker, stopAllProcesses } from './helpers/processes';
import { attemptsOf, createRelease, messagesOf, subscribeReceiver, WEBHOOK_TEST_SETTINGS } from './helpers/webhook-setup';

const MESSAGES = 5;
const TIMEOUT_MS = 2000;
const LEASE_MS = TIMEOUT_MS + 30_000;

describe('Delivery worker signalled mid-delivery', () => {
  let database: FaultDatabase;
  let api: ApiProcess;
  let env: NodeJS.ProcessEnv;
  const receiver = new OutageReceiver();

  beforeAll(async () => {
    database = await createFaultDatabase();
    env = deploymentEnv(database.url, { ...WEBHOOK_TEST_SETTINGS, WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) });
    await receiver.start();
    api = await startApi(env);
  });

  afterAll(async () => {
    await stopAllProcesses();
    await receiver.stop();
    await database?.drop();
  });

  it('SIGTERM: the attempts in flight finish and are recorded, then the worker exits 0', async () => {
    const org = await createOrganization(env);
    const endpointId = await subscribeReceiver(api.baseUrl, org, receiver);
    const worker = await startWorker(env, 'worker-terminated');
    receiver.answer = () => ({ status: 200, delayMs: 1000 });
    const seenBefore = receiver.deliveries.length;

    await Promise.all(Array.from({ length: 3 }, (_, i) => createRelease(api.baseUrl, org, `Terminated ${i}`)));
    await receiver.waitFor('3 requests in flight', () => receiver.deliveries.length - seenBefore >= 3, 10_000);
    worker.kill('SIGTERM');
    const termAt = Date.now();
    expect(await worker.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - termAt).toBeGreaterThanOrEqual(500); // it waited for the answers

    const messages = await messagesOf(database, endpointId);
    expect(messages.map((m) => [m.status, m.attempt_count])).toEqual(messages.map(() => ['delivered', 1]));
    const attempts = await attemptsOf(database, endpointId);
    expect(attempts.map((a) => [a.attempt_number, a.status_code])).toEqual(messages.map(() => [1, 200]));
    expect(receiver.deliveries.slice(seenBefore).map((d) => d.webhookId).sort()).toEqual(messages.map((m) => m.id).sort());
  });

  it("SIGKILL: another worker delivers the dead worker's messages once its lease expires, and not before", async () => {
    const org = await createOrganization(env);
    const endpointId = await subscribeReceiver(api.baseUrl, org, receiver);
    const doomed = await startWorker(env, 'worker-killed');

    // The receiver holds every request: the doomed worker's attempts stay in flight.
    receiver.answer = () => 'hold';
    const seenBefore = receiver.deliveries.length;
    const created = await Promise.all(Array.from({ length: MESSAGES }, (_, i) => createRelease(api.baseUrl, org, `Killed ${i}`)));
    await receiver.waitFor(`${MESSAGES} requests held`, () => receiver.held.size >= MESSAGES, 10_000);
    doomed.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await doomed.waitForExit(5000)).toEqual({ code: null, signal: 'SIGKILL' });

    // It died mid-attempt: every message still claimed under attempt 1, no outcome recorded.
    const claimed = await messagesOf(database, endpointId);
    expect(claimed).toHaveLength(MESSAGES);
    expect(claimed.map((m) => [m.status, m.attempt_count])).toEqual(claimed.map(() => ['delivering', 1]));
    expect(await attemptsOf(database, endpointId)).toEqual([]);
    const firstSeen = receiver.deliveries.length;
    expect(firstSeen - seenBefore).toBe(MESSAGES);

    // A healthy worker, answered normally.
    receiver.answer = () => ({ status: 204 });
    const survivor = await startWorker(env, 'worker-survivor');

    // While the lease runs, it must not take them: watch until shortly before expiry.
    const leaseEndsAt = Math.min(...claimed.map((m) => m.locked_until!.getTime()));
    await sleep(Math.max(0, leaseEndsAt - Date.now() - 2000));
    expect(receiver.deliveries.length).toBe(firstSeen);

    // After the lease: every message delivered by the survivor, same webhook-ids.
    await receiver.waitFor('redelivery of every message', () => receiver.deliveries.length >= firstSeen + MESSAGES, 20_000);
    await sleep(300);
    const messages = await messagesOf(database, endpointId);
    expect(messages.map((m) => [m.status, m.attempt_count])).toEqual(messages.map(() => ['delivered', 2]));
    const ids = messages.map((m) => m.id).sort();
    const redelivered = receiver.deliveries.slice(firstSeen);
    expect(redelivered.every((d) => d.verified)).toBe(true);
    expect(redelivered.map((d) => d.webhookId).sort()).toEqual(ids);
    expect(receiver.deliveries.slice(seenBefore, firstSeen).map((d) => d.webhookId).sort()).toEqual(ids);
    // Only the survivor's attempts are on record: the killed worker never wrote its outcome.
    const attempts = await attemptsOf(database, endpointId);
    expect(attempts.map((a) => [a.attempt_number, a.status_code])).toEqual(messages.map(() => [2, 204]));
    const announced = new Set(redelivered.map((d) => d.json?.data?.release?.id as string));
    expect(created.filter((id) => !announced.has(id))).toEqual([]);
    expect(survivor.running).toBe(true);

    const redeliveredAfter = Math.max(...redelivered.map((d) => d.receivedAt)) - killedAt;
    console.log(`worker SIGKILL: ${MESSAGES} messages held by the killed worker; redelivered by another worker ${redeliveredAfter} ms after the kill (lease ${LEASE_MS} ms)`);
  }, 75_000);
});
