import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import { principalOf } from '../auth/principal';
import { clientAddressOf } from '../http/http-context';

/**
 * Who a counter belongs to. An authenticated request counts against its API
 * key (a token against the key it was issued from: the principal's keyId is
 * the token's `sub`), so every client of a key, on any address, shares one
 * budget and two keys of one organization never share one. Anything else
 * counts against the client address: `req.ip`, which Express derives from
 * X-Forwarded-For only through the configured trusted proxies. IPv6 addresses
 * are grouped by /64 (@nestjs/throttler's normalizeIp), since one host
 * usually holds a whole /64 and could otherwise rotate through it.
 */
export function clientTracker(req: Pick<Request, 'ip' | 'app' | 'socket'>): string {
  return `ip:${normalizeIp(clientAddressOf(req) || 'unknown')}`;
}

export function requestTracker(req: Request): string {
  const principal = principalOf(req);
  return principal ? `key:${principal.keyId}` : clientTracker(req);
}

/** One counter per policy and tracker, across every route (not per route, as @nestjs/throttler's default key is). */
export function counterKey(policy: string, tracker: string): string {
  return `${policy}:${tracker}`;
}
