// OWASP API7:2023 Server Side Request Forgery, through the one place a client
// makes this server send requests: webhook endpoint URLs (API guide: Webhooks). With
// the default settings (https only, no private targets) a table of hostile
// URLs — parser differentials, alternative IP spellings, IPv4 inside IPv6,
// metadata services, Unicode digits and dots, credentials, other schemes — is
// refused on create and on PATCH with 400 and nothing stored. At delivery the
// address is checked again (a stored URL that now points inside is refused
// without a connection), redirects are not followed, and what a receiver
// answers is shown back to the client only as a 1 KiB excerpt.
import { WebhookWorkerRunner } from '../src/modules/webhooks/delivery/webhook-worker-runner';
import { expectProblemJson } from './helpers/problem-json';
import { PUBLIC_WEBHOOK_URL, SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import type { TestApp } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

const HOSTILE_URLS: Array<[string, string]> = [
  // parser differentials and URL tricks
  ['backslash before @', 'https://169.254.169.254\\@93.184.215.14/'],
  ['public userinfo, internal host', 'https://93.184.215.14@169.254.169.254/latest/meta-data/'],
  ['userinfo only', 'https://admin@93.184.215.14/hook'],
  ['fragment hiding the host', 'https://93.184.215.14#@169.254.169.254/'],
  ['leading whitespace', '  https://127.0.0.1/hook'],
  ['tab inside the host', 'https://127.0.\t0.1/hook'],
  ['upper-case scheme', 'HTTPS://127.0.0.1/hook'],
  ['scheme-relative', '//169.254.169.254/latest/meta-data/'],
  ['IPv6 zone id', 'https://[fe80::1%25eth0]/hook'],
  // other schemes
  ['plain http to a public host', 'http://93.184.215.14/hook'],
  ['websocket', 'wss://93.184.215.14/hook'],
  ['gopher', 'gopher://127.0.0.1:6379/_FLUSHALL'],
  ['dict', 'dict://127.0.0.1:11211/stats'],
  ['ldap', 'ldap://127.0.0.1/'],
  ['file', 'file:///proc/self/environ'],
  ['data', 'data:text/plain,hello'],
  // IPv4 spellings of internal addresses
  ['dotted hex', 'https://0x7f.0x0.0x0.0x1/hook'],
  ['dotted octal with padding', 'https://0177.0000.0000.0001/hook'],
  ['decimal metadata', 'https://2852039166/latest/meta-data/'],
  ['hex metadata', 'https://0xa9fea9fe/latest/meta-data/'],
  ['two-part private', 'https://10.1/hook'],
  ['percent-encoded digits', 'https://%31%32%37.0.0.1/hook'],
  ['full-width digits', 'https://１２７.０.０.１/hook'],
  ['ideographic full stops', 'https://127。0。0。1/hook'],
  ['trailing dot', 'https://169.254.169.254./latest/meta-data/'],
  ['explicit port', 'https://127.0.0.1:443/hook'],
  ['CGNAT', 'https://100.127.255.254/hook'],
  ['broadcast', 'https://255.255.255.255/hook'],
  ['benchmarking range', 'https://198.18.0.1/hook'],
  // IPv4 inside IPv6, and IPv6 internals
  ['IPv4-mapped metadata', 'https://[::ffff:a9fe:a9fe]/latest/meta-data/'],
  ['IPv4-mapped, expanded', 'https://[0:0:0:0:0:ffff:7f00:1]/hook'],
  ['IPv4-compatible (deprecated)', 'https://[::127.0.0.1]/hook'],
  ['SIIT-translated', 'https://[::ffff:0:a00:1]/hook'],
  ['NAT64 metadata', 'https://[64:ff9b::a9fe:a9fe]/latest/meta-data/'],
  ['6to4 loopback', 'https://[2002:7f00:1::1]/hook'],
  ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook'],
  ['AWS IMDS over IPv6', 'https://[fd00:ec2::254]/latest/meta-data/'],
  ['unique-local', 'https://[fd00::1]/hook'],
  ['site-local', 'https://[fec0::1]/hook'],
  ['multicast', 'https://[ff05::2]/hook'],
  ['loopback, expanded', 'https://[0000:0000:0000:0000:0000:0000:0000:0001]/hook'],
  // names
  ['localhost with a trailing dot', 'https://localhost./hook'],
  ['a name under localhost', 'https://metadata.localhost/hook'],
  ['a name that does not resolve', 'https://metadata.google.internal.invalid/computeMetadata/v1/'],
];

describe('OWASP API7 — server side request forgery through webhook URLs', () => {
  let t: TestApp;
  let us: SeededTenant;

  beforeAll(async () => {
    t = await startSecurityApp();
    us = await seedTenant(t, 'ssrf');
  });
  afterAll(() => t.close());

  it.each(HOSTILE_URLS)('refuses %s (%s) on create with 400 naming url, storing nothing', async (_name, url) => {
    const before = await tableFingerprint(t);
    const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', us.key).send({ url, events: ['*'] });
    expect(expectProblemJson(res, 400).errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
  });

  it('refuses every hostile URL on PATCH too, and keeps the endpoint’s URL', async () => {
    const before = await tableFingerprint(t);
    const accepted: string[] = [];
    for (const [, url] of HOSTILE_URLS) {
      const res = await t.http.patch(`/v1/webhook-endpoints/${us.endpointId}`).set('X-API-Key', us.key).send({ url });
      if (res.status !== 400) accepted.push(`${url} → ${res.status}`);
    }
    expect(accepted).toEqual([]);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    expect((await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: us.endpointId } })).url).toBe(PUBLIC_WEBHOOK_URL);
  });

  it('checks the address again at delivery: a stored URL that now points inside is refused without a request', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const created = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', us.key).send({ url: 'https://93.184.215.14/rebound', events: ['webhook.test'] }).expect(201);
      // As if DNS now answered with an internal address, or the row had been tampered with.
      for (const url of [`https://localhost:${receiver.port}/hooks`, `https://127.0.0.1:${receiver.port}/hooks`, 'https://169.254.169.254/latest/meta-data/']) {
        await t.prisma.webhookEndpoint.update({ where: { id: created.body.id }, data: { url } });
        await t.http.post(`/v1/webhook-endpoints/${created.body.id}/test`).set('X-API-Key', us.key).expect(202);
        await t.app.get(WebhookWorkerRunner).runOnce();
      }
      const attempts = await t.prisma.webhookAttempt.findMany({ where: { message: { endpointId: created.body.id } } });
      expect(attempts).toHaveLength(3);
      for (const attempt of attempts) expect(attempt).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: /) });
      expect(receiver.deliveries).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  describe('what a receiver can make the server do', () => {
    let lenient: TestApp;
    let receiver: WebhookReceiver;
    let owner: SeededTenant;

    beforeAll(async () => {
      // Private targets allowed only so a local receiver can play the remote side.
      lenient = await startSecurityApp({ WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' });
      owner = await seedTenant(lenient, 'receiver owner');
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver.close();
      await lenient.close();
    });

    async function deliverTestEvent(path: string): Promise<Record<string, any>> {
      const endpoint = await lenient.http.post('/v1/webhook-endpoints').set('X-API-Key', owner.key).send({ url: receiver.url(path), events: ['webhook.test'] }).expect(201);
      await lenient.http.post(`/v1/webhook-endpoints/${endpoint.body.id}/test`).set('X-API-Key', owner.key).expect(202);
      await lenient.app.get(WebhookWorkerRunner).runOnce();
      const deliveries = await lenient.http.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`).set('X-API-Key', owner.key).expect(200);
      return deliveries.body.data[0];
    }

    it('does not follow a redirect (to the metadata service or anywhere else)', async () => {
      receiver.respond = (d) => (d.path === '/redirect' ? { status: 302, headers: { Location: receiver.url('/stolen') } } : { status: 204 });
      const message = await deliverTestEvent('/redirect');
      expect(message.attempts).toEqual([expect.objectContaining({ statusCode: 302 })]);
      expect(message.status).not.toBe('delivered');
      expect(receiver.deliveries.map((d) => d.path)).toEqual(['/redirect']);
    });

    it('shows at most 1 KiB of what the receiver answered', async () => {
      receiver.respond = () => ({ status: 500, body: `SECRET-BEGIN ${'s'.repeat(100_000)} SECRET-END` });
      const message = await deliverTestEvent('/big');
      const [attempt] = message.attempts;
      expect(Buffer.byteLength(attempt.responseBodyExcerpt, 'utf8')).toBeLessThanOrEqual(1024);
      expect(attempt.responseBodyExcerpt).not.toContain('SECRET-END');
    });
  });
});
