import { Injectable, OnModuleDestroy } from '@nestjs/common';
import passport from 'passport';

let instances = 0;

/**
 * Passport keeps its strategies in one registry per process, by name. With a
 * fixed name, a second app in the same process (tests run several) would
 * replace the first one's strategies, and with them its key cache and token
 * signer. Each app therefore registers its strategies under names of its own,
 * and removes them when it closes.
 */
@Injectable()
export class PassportNames implements OnModuleDestroy {
  readonly apiKey: string;
  readonly jwt: string;

  constructor() {
    const n = ++instances;
    this.apiKey = `api-key#${n}`;
    this.jwt = `jwt#${n}`;
  }

  onModuleDestroy(): void {
    passport.unuse(this.apiKey);
    passport.unuse(this.jwt);
  }
}
