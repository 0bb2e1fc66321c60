// The signature base of RFC 9421 §2.5, rebuilt by the verifier from the
// request as it arrived: one line per covered component, in the order the
// signer listed them, then the `@signature-params` line.
//
//   "@method": POST
//   "@target-uri": https://api.example.com/v1/releases
//   "content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
//   "@signature-params": ("@method" "@target-uri" "content-digest");created=…;keyid="key_…";alg="ed25519";nonce="…"
//
// Supported: the derived components of §2.2 that describe a request
// (@method, @target-uri, @authority, @scheme, @request-target, @path, @query)
// and HTTP fields by their lowercase name, with no component parameters.
// The path and query are taken exactly as the client sent them, never
// normalized: what is signed must be what the router acts on.
import { SignatureRefusal } from './signature-refusal';

/** The parts of a received request that components are read from. */
export interface SignedMessage {
  method: string;
  /** The scheme the client used (`http` or `https`). */
  scheme: string;
  /** The host (and port) the client used, as in its Host field. */
  authority: string;
  /** The request target in origin-form, as sent: the path and the query. */
  requestTarget: string;
  /** Node's `rawHeaders`: name, value, name, value, … each field line as received. */
  rawHeaders: readonly string[];
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * RFC 9421 §2.2.1/§2.2.3: scheme and host are lowercased and a default port
 * is left out (RFC 3986 §6.2.3), so `Host: API.example.com:443` over TLS and
 * a signer's `https://api.example.com` agree.
 */
export function normalizeAuthority(scheme: string, authority: string): string {
  const lower = authority.toLowerCase();
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(lower);
  if (!match) return lower;
  const [, host, port] = match;
  return port === undefined || port === '' || port === DEFAULT_PORTS[scheme.toLowerCase()] ? host : `${host}:${port}`;
}

const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function derivedComponent(name: string, message: SignedMessage): string {
  const scheme = message.scheme.toLowerCase();
  const authority = normalizeAuthority(scheme, message.authority);
  const target = message.requestTarget;
  const q = target.indexOf('?');
  switch (name) {
    case '@method':
      return message.method;
    case '@target-uri':
      return `${scheme}://${authority}${target}`;
    case '@authority':
      return authority;
    case '@scheme':
      return scheme;
    case '@request-target':
      return target;
    case '@path':
      return (q < 0 ? target : target.slice(0, q)) || '/';
    case '@query':
      // §2.2.7: with no query, the value is "?" alone.
      return q < 0 ? '?' : target.slice(q);
    default:
      throw new SignatureRefusal('signature_components', 'A covered derived component is not supported for requests by this API.');
  }
}

/** §2.1: every line of the field, trimmed, joined with ", ". */
function fieldComponent(name: string, rawHeaders: readonly string[]): string {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1].trim());
  }
  if (values.length === 0) throw new SignatureRefusal('signature_components', 'The signature covers a header field the request does not carry.');
  return values.join(', ');
}

/** Builds the signature base for `components`; throws a SignatureRefusal for what cannot be covered. */
export function buildSignatureBase(components: readonly string[], signatureParams: string, message: SignedMessage): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const name of components) {
    // §2.5: a component appears once; @signature-params is never a covered component (§2.3).
    if (seen.has(name)) throw new SignatureRefusal('signature_malformed', 'A component is covered twice.');
    if (name === '@signature-params') throw new SignatureRefusal('signature_malformed', '"@signature-params" cannot be a covered component.');
    seen.add(name);
    let value: string;
    if (name.startsWith('@')) value = derivedComponent(name, message);
    else if (FIELD_NAME.test(name)) value = fieldComponent(name, message.rawHeaders);
    else throw new SignatureRefusal('signature_components', 'Covered HTTP field names must be lowercase field names (RFC 9421 §2.1).');
    // Identifiers are restricted above to characters a String holds unescaped.
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}
