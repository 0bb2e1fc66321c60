import * as dns from 'node:dns/promises';
import type { AppConfig } from '../../../config/app-config';
import { DNS_CACHE_TTL_MS, TargetRefused, WebhookTargetResolver } from './webhook-target-resolver';

jest.mock('node:dns/promises', () => ({ lookup: jest.fn() }));
const lookup = dns.lookup as unknown as jest.Mock;

const answers = (...addresses: string[]) => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('WebhookTargetResolver', () => {
  let now: number;
  const resolver = (allowPrivate = false) => new WebhookTargetResolver({ webhooksAllowHttp: false, webhooksAllowPrivate: allowPrivate } as AppConfig);

  beforeEach(() => {
    lookup.mockReset();
    now = 1_800_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('resolves a host once per TTL, concurrent attempts sharing the lookup', async () => {
    lookup.mockResolvedValue(answers('93.184.215.14'));
    const r = resolver();
    const targets = await Promise.all([r.resolve('https://hooks.example.com/a', 1000), r.resolve('https://hooks.example.com/b', 1000)]);
    await r.resolve('https://hooks.example.com/c', 1000);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(targets.map((t) => [t.address, t.url.pathname])).toEqual([
      ['93.184.215.14', '/a'],
      ['93.184.215.14', '/b'],
    ]);

    now += DNS_CACHE_TTL_MS + 1;
    lookup.mockResolvedValue(answers('93.184.215.15'));
    expect((await r.resolve('https://hooks.example.com/a', 1000)).address).toBe('93.184.215.15');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('applies the policy to cached answers on every use', async () => {
    lookup.mockResolvedValue(answers('93.184.215.14', '10.0.0.7'));
    const r = resolver();
    for (let i = 0; i < 2; i++) {
      await expect(r.resolve('https://split.example.com/', 1000)).rejects.toThrow(TargetRefused);
    }
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed lookup', async () => {
    lookup.mockRejectedValueOnce(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    lookup.mockResolvedValueOnce(answers('93.184.215.14'));
    const r = resolver();
    await expect(r.resolve('https://late.example.com/', 1000)).rejects.toThrow('host late.example.com does not resolve');
    expect((await r.resolve('https://late.example.com/', 1000)).address).toBe('93.184.215.14');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('needs no lookup for an IP literal', async () => {
    expect((await resolver().resolve('https://93.184.215.14/hook', 1000)).address).toBe('93.184.215.14');
    expect(lookup).not.toHaveBeenCalled();
  });

  describe('names the development settings that would allow a refused target', () => {
    const withEnv = (isProduction: boolean) => new WebhookTargetResolver({ webhooksAllowHttp: false, webhooksAllowPrivate: false, isProduction } as AppConfig);
    const reason = (r: WebhookTargetResolver, url: string) =>
      r.resolve(url, 1000).then(
        () => 'accepted',
        (error: unknown) => (error instanceof TargetRefused ? error.reason : String(error)),
      );

    it('outside production: WEBHOOKS_ALLOW_HTTP for http://, WEBHOOKS_ALLOW_PRIVATE for a private literal or a name resolving to one', async () => {
      lookup.mockResolvedValue(answers('192.168.1.10'));
      const r = withEnv(false);
      expect(await reason(r, 'http://hooks.example.com/h')).toContain('WEBHOOKS_ALLOW_HTTP=true allows http://');
      expect(await reason(r, 'https://10.0.0.5/h')).toContain('WEBHOOKS_ALLOW_PRIVATE=true');
      expect(await reason(r, 'https://intranet.example.com/h')).toBe(
        'host intranet.example.com resolves to a private, loopback or link-local address (192.168.1.10), which is not allowed; ' +
          'for development, WEBHOOKS_ALLOW_PRIVATE=true allows localhost and private, loopback and link-local addresses (never in production)',
      );
      lookup.mockResolvedValue(answers('169.254.169.254'));
      expect(await reason(r, 'https://imds.example.com/h')).not.toContain('WEBHOOKS_ALLOW');
    });

    it('never in production', async () => {
      lookup.mockResolvedValue(answers('192.168.1.10'));
      const r = withEnv(true);
      for (const url of ['http://hooks.example.com/h', 'https://10.0.0.5/h', 'https://localhost/h', 'https://intranet.example.com/h']) {
        expect(await reason(r, url)).not.toMatch(/WEBHOOKS_ALLOW|development/);
      }
    });
  });
});
