import { addressRefusal, checkWebhookUrl, classifyAddress, isLocalhostName, isPermittedAddress, isPublicUnicastAddress } from './ssrf-guard';

const STRICT = { allowHttp: false, allowPrivate: false };
const RELAXED = { allowHttp: true, allowPrivate: true };

describe('classifyAddress / isPublicUnicastAddress', () => {
  it.each([
    ['93.184.215.14', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['64:ff9b::808:808', 'public'], // NAT64 of 8.8.8.8
    ['2002:808:808::1', 'public'], // 6to4 of 8.8.8.8
    ['127.0.0.1', 'internal'],
    ['127.255.255.254', 'internal'],
    ['10.1.2.3', 'internal'],
    ['172.16.0.1', 'internal'],
    ['172.31.255.255', 'internal'],
    ['192.168.1.1', 'internal'],
    ['169.254.1.1', 'internal'],
    ['100.64.0.1', 'internal'],
    ['100.127.255.255', 'internal'],
    ['::1', 'internal'],
    ['fe80::1', 'internal'],
    ['fc00::1', 'internal'],
    ['fd12:3456::1', 'internal'],
    ['fec0::1', 'internal'],
    ['::ffff:127.0.0.1', 'internal'],
    ['::ffff:7f00:1', 'internal'],
    ['::ffff:10.0.0.1', 'internal'],
    ['::ffff:0:a00:1', 'internal'], // RFC 6145 form of 10.0.0.1
    ['64:ff9b::7f00:1', 'internal'], // NAT64 of 127.0.0.1
    ['64:ff9b:1::1', 'internal'], // local-use NAT64
    ['2002:7f00:1::', 'internal'], // 6to4 of 127.0.0.1
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unroutable'],
    ['0.1.2.3', 'unroutable'],
    ['::', 'unroutable'],
    ['255.255.255.255', 'unroutable'],
    ['224.0.0.1', 'unroutable'],
    ['239.255.255.250', 'unroutable'],
    ['ff02::1', 'unroutable'],
    ['192.0.2.1', 'unroutable'],
    ['198.51.100.1', 'unroutable'],
    ['203.0.113.1', 'unroutable'],
    ['198.18.0.1', 'unroutable'],
    ['240.0.0.1', 'unroutable'],
    ['192.0.0.192', 'unroutable'],
    ['2001:db8::1', 'unroutable'],
    ['2001::1', 'unroutable'], // Teredo
    ['100::1', 'unroutable'], // discard
    ['::7f00:1', 'unroutable'], // deprecated IPv4-compatible
    ['not-an-ip', 'unroutable'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
    expect(isPublicUnicastAddress(address)).toBe(kind === 'public');
  });

  it('lets WEBHOOKS_ALLOW_PRIVATE open internal addresses only, never metadata or unroutable ones', () => {
    expect(isPermittedAddress('127.0.0.1', { allowPrivate: true })).toBe(true);
    expect(isPermittedAddress('127.0.0.1', { allowPrivate: false })).toBe(false);
    expect(isPermittedAddress('169.254.169.254', { allowPrivate: true })).toBe(false);
    expect(isPermittedAddress('0.0.0.0', { allowPrivate: true })).toBe(false);
    expect(isPermittedAddress('8.8.8.8', { allowPrivate: false })).toBe(true);
    expect(addressRefusal('8.8.8.8', STRICT)).toBeUndefined();
    expect(addressRefusal('10.0.0.1', STRICT)).toMatch(/private/);
  });
});

describe('isLocalhostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.localhost.'])('%s is localhost', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });
  it.each(['localhost.example.com', 'notlocalhost', 'example.com'])('%s is not', (name) => {
    expect(isLocalhostName(name)).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  it('accepts https URLs to names (DNS is checked later) and to public literals', () => {
    expect(checkWebhookUrl('https://example.com/hooks?x=1', STRICT)).toEqual({ ok: true, href: 'https://example.com/hooks?x=1', hostname: 'example.com' });
    expect(checkWebhookUrl('https://93.184.215.14:8443/h', STRICT)).toMatchObject({ ok: true, literalAddress: '93.184.215.14' });
    expect(checkWebhookUrl('https://[2606:4700:4700::1111]/h', STRICT)).toMatchObject({ ok: true, literalAddress: '2606:4700:4700::1111' });
  });

  it.each([
    ['not a url', /absolute URL/],
    ['/relative/path', /absolute URL/],
    ['http://example.com/', /https/],
    ['ftp://example.com/', /https/],
    ['file:///etc/passwd', /https/],
    ['javascript:alert(1)', /https/],
    ['gopher://example.com/', /https/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://example.com/#frag', /fragment/],
    ['https://localhost/', /localhost/],
    ['https://api.localhost/', /localhost/],
    ['https://127.0.0.1/', /private, loopback/],
    ['https://2130706433/', /127\.0\.0\.1/],
    ['https://0x7f.1/', /127\.0\.0\.1/],
    ['https://0177.0.0.1/', /127\.0\.0\.1/],
    ['https://127.1/', /127\.0\.0\.1/],
    ['https://0/', /unspecified/],
    ['https://[::1]/', /loopback/],
    ['https://[::ffff:127.0.0.1]/', /loopback/],
    ['https://[::ffff:a9fe:a9fe]/', /metadata/],
    ['https://169.254.169.254/latest/meta-data/', /metadata/],
    ['https://[fd00:ec2::254]/', /metadata/],
    ['https://10.0.0.5/', /private/],
    ['https://100.64.1.1/', /private/],
    ['https://224.0.0.1/', /multicast/],
    [`https://example.com/${'a'.repeat(2100)}`, /2048/],
  ])('refuses %s', (url, reason) => {
    const result = checkWebhookUrl(url, STRICT);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('allows http and private targets only when configured, never metadata', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/h', RELAXED)).toMatchObject({ ok: true, literalAddress: '127.0.0.1' });
    expect(checkWebhookUrl('http://localhost:8080/h', RELAXED)).toMatchObject({ ok: true, hostname: 'localhost' });
    expect(checkWebhookUrl('http://169.254.169.254/', RELAXED).ok).toBe(false);
    expect(checkWebhookUrl('http://example.com/', { allowHttp: true, allowPrivate: false }).ok).toBe(true);
    expect(checkWebhookUrl('http://127.0.0.1/', { allowHttp: true, allowPrivate: false }).ok).toBe(false);
  });

  describe('outside production, names the development setting that would allow a refused target', () => {
    const DEV = { ...STRICT, explainSettings: true };
    const reason = (url: string, policy: Parameters<typeof checkWebhookUrl>[1]) => {
      const result = checkWebhookUrl(url, policy);
      return result.ok ? 'accepted' : result.reason;
    };

    it('WEBHOOKS_ALLOW_HTTP for http://, WEBHOOKS_ALLOW_PRIVATE for localhost and internal addresses', () => {
      expect(reason('http://example.com/h', DEV)).toBe('must use https://; for development, WEBHOOKS_ALLOW_HTTP=true allows http:// (never in production)');
      for (const url of ['https://localhost/h', 'https://10.0.0.5/h', 'https://[::1]/h']) {
        expect(reason(url, DEV)).toMatch(/; for development, WEBHOOKS_ALLOW_PRIVATE=true allows localhost and private, loopback and link-local addresses \(never in production\)$/);
      }
      expect(reason('https://127.0.0.1/h', { ...DEV, allowHttp: true })).toContain('WEBHOOKS_ALLOW_PRIVATE=true');
    });

    it('names no setting where none would help: metadata, unroutable, other schemes, malformed URLs', () => {
      for (const url of ['https://169.254.169.254/', 'https://224.0.0.1/', 'ftp://example.com/', 'not a url', 'https://u:p@example.com/']) {
        expect(reason(url, DEV)).not.toMatch(/WEBHOOKS_ALLOW/);
      }
    });

    it('names none in production (explainSettings off)', () => {
      for (const url of ['http://example.com/h', 'https://localhost/h', 'https://10.0.0.5/h']) {
        expect(reason(url, STRICT)).not.toMatch(/WEBHOOKS_ALLOW|development/);
      }
    });
  });
});
