import { Injectable, OnModuleDestroy } from '@nestjs/common';
import passport from 'passport';

let instances = 0;

/**
 * Passport keeps its strategies in one registry per process, by name. With a
 * fixed name, a second app in the same process (tests run several) would
 * replace the first one's strategy, and with it its token signer and
 * authenticator. Each app therefore registers its strategy under a name of its own,
 * and removes it when it closes.
 */
@Injectable()
export class PassportNames implements OnModuleDestroy {
  readonly jwt: string;

  constructor() {
    const n = ++instances;
    this.jwt = `jwt#${n}`;
  }

  onModuleDestroy(): void {
    passport.unuse(this.jwt);
  }
}
