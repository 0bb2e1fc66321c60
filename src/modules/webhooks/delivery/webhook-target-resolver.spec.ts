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
});
