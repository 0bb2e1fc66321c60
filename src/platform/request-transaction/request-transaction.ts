import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ClsService } from 'nestjs-cls';
import { RequestAuditor } from '../audit/request-auditor';
import { Db } from '../database/db';
import { requestFingerprint } from '../idempotency/idempotency-key';
import { IdempotencyScope, IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store';

/** Response headers a replay must repeat (API guide: Idempotency). */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type', 'cache-control'];
const UNIT = Symbol('musicpub:requestUnit');

/** Thrown through the handler when the Idempotency-Key names a completed request: its stored response is the answer. */
class Replayed extends Error {
  constructor(readonly response: StoredResponse) {
    super('idempotent replay');
  }
}

interface Answer {
  /** What a replay repeats. */
  stored: StoredResponse;
  /** The handler's return value, for the audit event. */
  result: unknown;
}

/** One mutating request's unit of work, from its claim to its commit. */
class Unit {
  opened = false;
  committed: Promise<void> = Promise.resolve();
  readonly afterCommit: Array<() => Promise<void>> = [];
  readonly afterRollback: Array<() => Promise<void>> = [];
  private settle!: { resolve: (answer: Answer) => void; reject: (error: unknown) => void };
  /** The handler's answer, handed to the open transaction once the handler has returned. */
  readonly answer = new Promise<Answer>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    readonly req: Request,
    readonly scope: IdempotencyScope | undefined,
  ) {
    this.answer.catch(() => undefined); // rejected only to roll back; the handler's error is reported by the filter
  }

  finish(answer: Answer): void {
    this.settle.resolve(answer);
  }

  abandon(error: unknown): void {
    this.settle.reject(error);
  }
}

/**
 * Every mutating request is one database transaction and one commit (API guide:
 * Idempotency, Audit trail): the Idempotency-Key claim, the change, its outbox event, the
 * stored replayable response and the audit event commit together or not at
 * all. Services' own `db.withTransaction` calls join it.
 *
 * Order inside the transaction: claim the key (a transaction-scoped try-lock:
 * a concurrent duplicate gets 409 at once) → the change → store the response
 * → append the audit event (last: it locks the organization's chain head) →
 * commit. The response is captured after the handler returns, so the
 * transaction stays open across that return: `open` hands the change's result
 * back early and waits for `finish`. A failure rolls everything back, a crash
 * leaves nothing behind (the claim is only a lock), and the error filter
 * records the failure through the same RequestAuditor.
 */
@Injectable()
export class RequestTransaction {
  private readonly logger = new Logger(RequestTransaction.name);

  constructor(
    private readonly db: Db,
    private readonly cls: ClsService,
    private readonly idempotency: IdempotencyStore,
    private readonly auditor: RequestAuditor,
  ) {}

  /**
   * Runs a mutating request's handler as its unit of work. With `prepares`,
   * the handler opens the transaction itself through `commit`; otherwise the
   * whole handler runs inside it.
   */
  handle(req: Request, res: Response, scope: IdempotencyScope | undefined, prepares: boolean, handler: () => Promise<unknown>): Promise<unknown> {
    return this.cls.run(async () => {
      const unit = new Unit(req, scope);
      this.cls.set(UNIT, unit);
      let result: unknown;
      try {
        result = prepares ? await handler() : await this.open(unit, handler);
      } catch (error) {
        unit.abandon(error);
        await unit.committed.catch(() => undefined);
        await this.runHooks(unit.afterRollback);
        if (error instanceof Replayed) return this.writeReplay(res, error.response);
        throw error;
      }
      if (!unit.opened) {
        // A preparing handler that changed nothing still leaves its event.
        await this.auditor.recordSuccess(req, res.statusCode, result);
        return result;
      }
      unit.finish({ stored: captureResponse(res, result), result });
      try {
        await unit.committed;
      } catch (error) {
        await this.runHooks(unit.afterRollback);
        throw error;
      }
      await this.runHooks(unit.afterCommit);
      return result;
    });
  }

  /**
   * Opens the current request's transaction and runs `work` in it (for routes
   * marked @PreparesOutsideTransaction). `fingerprint` replaces the body in
   * the Idempotency-Key fingerprint (an upload's form fields and file hash);
   * `onRollback` undoes what `work` did outside the database (a stored object)
   * should the transaction not commit. The promise settles when `work` is
   * done, before the commit. Outside a request it is a plain transaction.
   */
  async commit<T>(work: () => Promise<T>, options: { fingerprint?: { body: unknown }; onRollback?: () => Promise<void> } = {}): Promise<T> {
    const unit = this.currentUnit();
    if (unit) {
      if (options.onRollback) unit.afterRollback.push(options.onRollback);
      return this.open(unit, work, options.fingerprint);
    }
    try {
      return await this.db.withTransaction(work);
    } catch (error) {
      await options.onRollback?.();
      throw error;
    }
  }

  /**
   * Runs `work` once the request's transaction has committed (removing bytes
   * a deleted row pointed at); outside a request and any transaction, at once.
   */
  async afterCommit(work: () => Promise<void>): Promise<void> {
    const unit = this.currentUnit();
    if (unit) {
      unit.afterCommit.push(work);
      return;
    }
    if (this.db.isTransactionActive()) throw new Error('afterCommit inside a transaction that is not a request’s');
    await work();
  }

  private currentUnit(): Unit | undefined {
    return this.cls.isActive() ? this.cls.get<Unit | undefined>(UNIT) : undefined;
  }

  /** Cleanup after the outcome is known: logged, never thrown (the answer is already decided). */
  private async runHooks(hooks: Array<() => Promise<void>>): Promise<void> {
    for (const hook of hooks) await hook().catch((error: unknown) => this.logger.error({ err: error }, 'post-transaction cleanup failed'));
  }

  private open<T>(unit: Unit, work: () => Promise<T>, fingerprint?: { body: unknown }): Promise<T> {
    if (unit.opened) throw new Error('a request opens one transaction');
    unit.opened = true;
    const { req, scope } = unit;
    const print = scope ? requestFingerprint(req.method, req.path, fingerprint ? fingerprint.body : req.body) : '';
    let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
    const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    unit.committed = this.db.withTransaction(async () => {
      if (scope) {
        const claim = await this.idempotency.claimWithin(scope, print);
        if (claim.kind === 'replay') {
          // The replay is an event of its own, committed; the handler stops here.
          await this.auditor.appendSuccess(req, claim.response.status, parseBody(claim.response), { idempotentReplay: true });
          settle.reject(new Replayed(claim.response));
          return;
        }
      }
      settle.resolve(await work());
      const { stored, result: value } = await unit.answer;
      if (scope) await this.idempotency.completeWithin(scope, print, stored);
      await this.auditor.appendSuccess(req, stored.status, value);
    });
    unit.committed.catch((error: unknown) => settle.reject(error));
    return result;
  }

  private writeReplay(res: Response, stored: StoredResponse): unknown {
    res.status(stored.status);
    for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    return parseBody(stored);
  }
}

function parseBody(response: StoredResponse): unknown {
  return response.body === '' ? undefined : JSON.parse(response.body);
}

function captureResponse(res: Response, result: unknown): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: res.statusCode, headers, body: result === undefined ? '' : JSON.stringify(result) };
}
