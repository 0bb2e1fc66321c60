// SSRF (API guide: Webhooks) with the production defaults: https only, no private,
// loopback, link-local, CGNAT, multicast, unspecified or metadata targets, in
// any spelling. Every hostile URL is a 400 naming `url`, and no row is written.
// Then the check at delivery time: an endpoint stored while private targets
// were allowed is refused by a worker running with the defaults.
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { classifyAddress } from '../src/modules/webhooks/ssrf-guard';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, WebhookReceiver } from './helpers/webhook-receiver';

const HOSTILE_URLS = [
  // scheme and shape
  'http://example.com/hook',
  'ftp://93.184.215.14/hook',
  'file:///etc/passwd',
  'gopher://127.0.0.1:25/_HELO',
  'javascript:alert(1)',
  'https://user:password@93.184.215.14/hook',
  'https:///nohost',
  'not a url',
  // localhost by name (RFC 6761)
  'https://localhost/hook',
  'https://LOCALHOST./hook',
  'https://api.localhost/hook',
  // IPv4 loopback in every spelling the URL parser accepts
  'https://127.0.0.1/hook',
  'https://127.0.0.2:8443/hook',
  'https://2130706433/hook',
  'https://0x7f000001/hook',
  'https://0x7f.1/hook',
  'https://0177.0.0.1/hook',
  'https://017700000001/hook',
  'https://127.1/hook',
  // unspecified, private, CGNAT, link-local
  'https://0.0.0.0/hook',
  'https://0/hook',
  'https://10.0.0.1/hook',
  'https://172.16.5.4/hook',
  'https://192.168.0.10/hook',
  'https://100.64.0.1/hook',
  'https://169.254.10.10/hook',
  // cloud metadata
  'https://169.254.169.254/latest/meta-data/',
  'https://[fd00:ec2::254]/latest/meta-data/',
  'https://168.63.129.16/machine',
  'https://100.100.100.200/latest/meta-data/',
  // IPv6 and IPv4 inside IPv6
  'https://[::1]/hook',
  'https://[::]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[::ffff:7f00:1]/hook',
  'https://[::ffff:169.254.169.254]/hook',
  'https://[::ffff:10.0.0.1]/hook',
  'https://[fe80::1]/hook',
  'https://[fc00::1]/hook',
  'https://[fd12:3456::1]/hook',
  'https://[64:ff9b::7f00:1]/hook',
  'https://[2002:7f00:1::]/hook',
  // multicast, broadcast, documentation
  'https://224.0.0.1/hook',
  'https://255.255.255.255/hook',
  'https://[ff02::1]/hook',
  'https://192.0.2.10/hook',
  // names that do not resolve (RFC 6761 .invalid)
  'https://webhooks.nonexistent.invalid/hook',
];

describe('Webhook SSRF protection', () => {
  let strict: TestApp;
  let org: OrgWithKey;

  beforeAll(async () => {
    strict = await startTestApp({ env: { WEBHOOK_WORKERS: '0' } });
    org = await createOrgWithKey(strict);
  });
  afterAll(() => strict.close());

  const create = (url: string) => strict.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url, events: ['*'] });

  it.each(HOSTILE_URLS)('refuses %s with a 400 naming the url, and stores nothing', async (url) => {
    const res = await create(url);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/^url /) }]);
    expect(await strict.prisma.webhookEndpoint.count({ where: { orgId: org.orgId } })).toBe(0);
  });

  it('outside production, names the setting that would allow an http:// or private target in development', async () => {
    const http = await create('http://93.184.215.14/hook').expect(400);
    expect(http.body.errors).toEqual([{ field: 'url', message: expect.stringContaining('WEBHOOKS_ALLOW_HTTP=true allows http:// (never in production)') }]);
    const local = await create('https://127.0.0.1:8443/hook').expect(400);
    expect(local.body.errors[0].message).toContain('WEBHOOKS_ALLOW_PRIVATE=true');
    const metadata = await create('https://169.254.169.254/').expect(400);
    expect(metadata.body.errors[0].message).not.toContain('WEBHOOKS_ALLOW');
  });

  it('refuses a host name that resolves to an internal address', async () => {
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    if (!resolved || classifyAddress(resolved.address) === 'public') return; // nothing local to resolve here
    const res = await create(`https://${name}/hook`).expect(400);
    expect(res.body.errors[0].message).toContain(`resolves to`);
    expect(await strict.prisma.webhookEndpoint.count({ where: { orgId: org.orgId } })).toBe(0);
  });

  it('accepts a public address, and refuses to PATCH it to a hostile one', async () => {
    const res = await create('https://93.184.215.14/hook').expect(201);
    for (const url of ['https://169.254.169.254/', 'https://2130706433/', 'http://93.184.215.14/']) {
      await strict.http.patch(`/v1/webhook-endpoints/${res.body.id}`).set('X-API-Key', org.key).send({ url }).expect(400);
    }
    const row = await strict.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.url).toBe('https://93.184.215.14/hook');
    await strict.prisma.webhookEndpoint.delete({ where: { id: res.body.id } });
  });

  it('checks the address again at delivery: a worker with the defaults refuses a private target stored earlier', async () => {
    const receiver = await WebhookReceiver.start();
    // The same deployment, once with private targets allowed (to store the
    // endpoint), once with the defaults (delivering, http allowed so that only
    // the address decides).
    const lenient = await startTestApp({ database: strict.database, env: { WEBHOOK_WORKERS: '0', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    const worker = await startTestApp({
      database: strict.database,
      env: { WEBHOOK_WORKERS: '1', WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOK_RETRY_SCHEDULE: '10s' },
    });
    try {
      const owner = await createOrgWithKey(lenient);
      const endpoint = await lenient.http.post('/v1/webhook-endpoints').set('X-API-Key', owner.key).send({ url: receiver.url(), events: ['*'] }).expect(201);
      await lenient.http.post(`/v1/webhook-endpoints/${endpoint.body.id}/test`).set('X-API-Key', owner.key).expect(202);
      const attempt = await eventually(() => worker.prisma.webhookAttempt.findFirst({ where: { message: { endpointId: endpoint.body.id } } }));
      expect(attempt).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: .*private, loopback or link-local address \(127\.0\.0\.1\)/) });
      expect(receiver.deliveries).toEqual([]);
    } finally {
      await worker.close();
      await lenient.close();
      await receiver.close();
    }
  });
});
