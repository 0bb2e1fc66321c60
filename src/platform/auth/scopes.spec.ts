import { isScope, missingScopes, SCOPES } from './scopes';

describe('scopes', () => {
  it('are exactly the ten of API guide: Authentication', () => {
    expect([...SCOPES].sort()).toEqual(
      [
        'releases:read',
        'releases:write',
        'releases:publish',
        'uploads:read',
        'uploads:write',
        'webhooks:read',
        'webhooks:write',
        'keys:read',
        'keys:write',
        'audit:read',
      ].sort(),
    );
  });

  it.each(['*', 'keys:*', '*:*', 'admin', 'KEYS:READ', ' keys:read', 'keys:read ', '', 'keys', 'toString', '__proto__'])(
    'has no wildcard or look-alike: %p is no scope',
    (value) => {
      expect(isScope(value)).toBe(false);
    },
  );

  it.each([null, undefined, 1, ['keys:read'], { scope: 'keys:read' }])('refuses the non-string %p', (value) => {
    expect(isScope(value)).toBe(false);
  });

  it('accepts every listed scope', () => {
    for (const scope of SCOPES) expect(isScope(scope)).toBe(true);
  });

  describe('missingScopes', () => {
    it('lists what is wanted and not held, in the wanted order', () => {
      expect(missingScopes(['keys:read'], ['releases:write', 'keys:read', 'audit:read'])).toEqual(['releases:write', 'audit:read']);
    });

    it('is empty when everything is held, or nothing wanted', () => {
      expect(missingScopes(['keys:read', 'keys:write'], ['keys:write'])).toEqual([]);
      expect(missingScopes([], [])).toEqual([]);
    });

    it('gives no credit for a wildcard or a prefix', () => {
      expect(missingScopes(['*'], ['keys:read'])).toEqual(['keys:read']);
      expect(missingScopes(['keys'], ['keys:read'])).toEqual(['keys:read']);
      expect(missingScopes(['keys:read'], ['keys:read:all'])).toEqual(['keys:read:all']);
    });
  });
});
