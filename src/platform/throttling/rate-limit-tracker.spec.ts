import type { Request } from 'express';
import { clientTracker, counterKey, requestTracker } from './rate-limit-tracker';

const request = (ip: string | undefined, principal?: object): Request => ({ ip, socket: { remoteAddress: '192.0.2.99' }, principal }) as unknown as Request;

describe('rate-limit trackers', () => {
  it('counts an authenticated request against its API key, whatever the address', () => {
    expect(requestTracker(request('192.0.2.1', { keyId: 'key_abc', orgId: 'org_x' }))).toBe('key:key_abc');
    expect(requestTracker(request('192.0.2.2', { keyId: 'key_abc', orgId: 'org_x' }))).toBe('key:key_abc');
  });

  it('counts an anonymous request against the client address', () => {
    expect(requestTracker(request('192.0.2.1'))).toBe('ip:192.0.2.1');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientTracker(request('::ffff:192.0.2.1'))).toBe('ip:192.0.2.1');
  });

  it('groups IPv6 clients by /64 so a host cannot rotate through its prefix', () => {
    expect(clientTracker(request('2001:db8:1:2:aaaa::1'))).toBe('ip:2001:db8:1:2::/64');
    expect(clientTracker(request('2001:db8:1:2:bbbb::9'))).toBe('ip:2001:db8:1:2::/64');
    expect(clientTracker(request('2001:db8:1:3::1'))).not.toBe('ip:2001:db8:1:2::/64');
  });

  it('falls back to the socket address', () => {
    expect(clientTracker(request(undefined))).toBe('ip:192.0.2.99');
  });

  it('keys counters by policy and tracker, not by route', () => {
    expect(counterKey('auth', 'ip:192.0.2.1')).toBe('auth:ip:192.0.2.1');
  });
});
