import { Forbidden } from '../../platform/auth/auth-errors';
import { parseCidrList, type IpRange } from './ip-allowlist';
import { IssuerLimits, resolveIssuedLimits } from './issuer-limits';

const ranges = (...cidrs: string[]): IpRange[] => {
  const parsed = parseCidrList(cidrs);
  if (!parsed.ok) throw new Error('bad test cidr');
  return parsed.ranges;
};
const soon = new Date('2030-01-01T00:00:00Z');
const later = new Date('2031-01-01T00:00:00Z');
const open: IssuerLimits = { scopes: ['keys:read', 'keys:write', 'releases:read'], allowedIps: [], expiresAt: null, signed: false };
const unrestricted = { scopes: ['keys:read'], allowedIps: [] as IpRange[], expiresAt: null, signed: false };

function refusal(run: () => unknown): Forbidden {
  try {
    run();
  } catch (error) {
    if (error instanceof Forbidden) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('resolveIssuedLimits', () => {
  it('lets an unrestricted issuer issue an unrestricted key', () => {
    expect(resolveIssuedLimits(open, unrestricted)).toEqual({ allowedIps: [], expiresAt: null });
  });

  it('refuses scopes the issuer lacks, naming them', () => {
    const error = refusal(() => resolveIssuedLimits(open, { ...unrestricted, scopes: ['audit:read', 'keys:read'] }));
    expect(error.toProblem()).toMatchObject({ status: 403, missingScopes: ['audit:read'] });
  });

  describe('addresses', () => {
    const fenced: IssuerLimits = { ...open, allowedIps: ['10.0.0.0/8'] };
    it('gives an inheriting request the issuer allowlist', () => {
      expect(resolveIssuedLimits(fenced, { ...unrestricted, allowedIps: 'inherit' }).allowedIps).toEqual(['10.0.0.0/8']);
    });
    it('accepts a narrower allowlist', () => {
      expect(resolveIssuedLimits(fenced, { ...unrestricted, allowedIps: ranges('10.1.0.0/16') }).allowedIps).toEqual(['10.1.0.0/16']);
    });
    it('refuses a wider allowlist and an explicit "anywhere" (rotating an unrestricted key)', () => {
      expect(refusal(() => resolveIssuedLimits(fenced, { ...unrestricted, allowedIps: ranges('0.0.0.0/0') })).message).toContain('0.0.0.0/0');
      expect(refusal(() => resolveIssuedLimits(fenced, unrestricted)).message).toContain('anywhere');
    });
  });

  describe('lifetime', () => {
    const mortal: IssuerLimits = { ...open, expiresAt: soon };
    it('gives an inheriting request the issuer expiry, and accepts an earlier one', () => {
      expect(resolveIssuedLimits(mortal, { ...unrestricted, expiresAt: 'inherit' }).expiresAt).toEqual(soon);
      const earlier = new Date(soon.getTime() - 1000);
      expect(resolveIssuedLimits(mortal, { ...unrestricted, expiresAt: earlier }).expiresAt).toEqual(earlier);
    });
    it('refuses a later expiry and "never" (rotating a non-expiring key)', () => {
      refusal(() => resolveIssuedLimits(mortal, { ...unrestricted, expiresAt: later }));
      refusal(() => resolveIssuedLimits(mortal, unrestricted));
    });
  });

  describe('signing', () => {
    const signer: IssuerLimits = { ...open, signed: true };
    it('refuses an unsigned key to a signing issuer and accepts a signed one', () => {
      expect(refusal(() => resolveIssuedLimits(signer, unrestricted)).message).toContain('signed requests');
      expect(resolveIssuedLimits(signer, { ...unrestricted, signed: true })).toEqual({ allowedIps: [], expiresAt: null });
    });
    it('lets an unsigned issuer issue a signed key (narrower)', () => {
      expect(resolveIssuedLimits(open, { ...unrestricted, signed: true })).toEqual({ allowedIps: [], expiresAt: null });
    });
  });
});
