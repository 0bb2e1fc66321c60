import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import {
  CANCEL_REQUEST_CODE,
  FRONTEND_SYNC,
  FRONTEND_TERMINATE,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  SSL_REQUEST_CODE,
  fatalError,
  frontendMessage,
  lastReadyForQuery,
  simpleQuery,
  startupCode,
  takeMessage,
  type TransactionStatus,
} from './pg-wire';

/**
 * Serves one PGlite database to many PostgreSQL client connections without
 * ever mixing them up.
 *
 * PGlite is a single backend session. @electric-sql/pglite-socket (0.2.17,
 * electric-sql/pglite#1046, still open) queues each *message* globally and
 * only keeps a connection's messages together while a transaction is open, so
 * two pooled connections' Parse/Bind/Execute/Sync sequences interleave: one
 * connection binds the other's unnamed statement and gets a protocol error or,
 * when the shapes happen to match, someone else's rows.
 *
 * Here the backend is owned by one connection at a time, from its first
 * message until the backend is idle again: ReadyForQuery with status 'I'
 * (after Sync or a simple Query, outside a transaction block). So a whole
 * extended-protocol sequence, and a whole transaction from BEGIN to
 * COMMIT/ROLLBACK, run alone; the other connections wait their turn in
 * arrival order. A connection that goes away while it owns the backend is
 * brought back to idle (Sync, then ROLLBACK if a transaction is open) before
 * the next one gets it.
 *
 * What a single session cannot give, this does not pretend to: session state
 * (SET, named prepared statements, session-level advisory locks, temporary
 * tables) is shared by every connection. The application uses none of it
 * across requests: unnamed statements only, transaction-scoped locks only.
 * As on PostgreSQL with one connection, code that holds a transaction open
 * while waiting for another connection's query waits forever.
 */
export class PgliteSessionServer {
  private server?: Server;
  private readonly sessions = new Set<Session>();
  private owner?: Session;
  private readonly waiting: Array<{ session: Session; grant: () => void }> = [];

  constructor(private readonly db: PGlite) {}

  async start(host = '127.0.0.1', port = 0): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Stops accepting, disconnects every client (rolling back what they left open) and waits for that. */
  async stop(): Promise<void> {
    const closed = this.server ? new Promise<void>((resolve) => this.server!.close(() => resolve())) : Promise.resolve();
    await Promise.all([...this.sessions].map((session) => session.close()));
    await closed;
  }

  /** Number of client connections currently open (for tests and diagnostics). */
  get connections(): number {
    return this.sessions.size;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session = new Session(socket, this);
    this.sessions.add(session);
    session.closed.then(() => this.sessions.delete(session));
  }

  /** Resolves once `session` owns the backend (immediately if it already does). */
  acquire(session: Session): Promise<void> {
    if (this.owner === session) return Promise.resolve();
    if (!this.owner) {
      this.owner = session;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ session, grant }));
  }

  release(session: Session): void {
    if (this.owner !== session) return;
    const next = this.waiting.shift();
    this.owner = next?.session;
    next?.grant();
  }

  owns(session: Session): boolean {
    return this.owner === session;
  }

  /** One frontend message through the backend; only the owner calls this. */
  exec(message: Uint8Array): Promise<Uint8Array> {
    return this.db.execProtocolRaw(message);
  }
}

class Session {
  private buffer: Buffer = Buffer.alloc(0);
  private startupPhase = true;
  /** The backend's transaction status as this connection last saw it. */
  private status: TransactionStatus = 'I';
  /** Messages went to the backend since its last ReadyForQuery (an unfinished sequence). */
  private unsynced = false;
  private ending = false;
  private running = false;
  private rerun = false;
  private finished!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    private readonly socket: Socket,
    private readonly server: PgliteSessionServer,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.pump();
    });
    socket.on('error', () => undefined); // 'close' follows and does the cleanup
    socket.on('close', () => {
      this.ending = true;
      this.pump();
    });
  }

  close(): Promise<void> {
    this.ending = true;
    this.socket.destroy();
    this.pump();
    return this.closed;
  }

  /** Handles buffered messages strictly one after another, and the ending last. */
  private pump(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.rerun = false;
          let next;
          while (!this.ending && (next = takeMessage(this.buffer, this.startupPhase))) {
            this.buffer = next.rest;
            await this.handle(next.message);
          }
        } while (this.rerun && !this.ending);
      } catch {
        // A malformed stream or a backend failure ends this connection only.
        this.ending = true;
      }
      if (this.ending) await this.finish();
      this.running = false;
      if (this.rerun && !this.ending) this.pump();
    })();
  }

  private async handle(message: Buffer): Promise<void> {
    if (this.startupPhase) {
      const code = startupCode(message);
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        this.socket.write('N'); // plain TCP on loopback; the client goes on unencrypted
        return;
      }
      if (code === CANCEL_REQUEST_CODE) {
        // A single in-process backend has nothing to interrupt; the protocol expects no answer.
        this.ending = true;
        return;
      }
      if (code !== PROTOCOL_3_0) {
        this.socket.end(fatalError('0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`));
        this.ending = true;
        return;
      }
      this.startupPhase = false;
    } else if (message[0] === FRONTEND_TERMINATE) {
      this.ending = true;
      return;
    }
    await this.server.acquire(this);
    if (this.ending) return; // went away while queued: finish() hands the backend on
    await this.forward(message);
  }

  private async forward(message: Uint8Array): Promise<void> {
    this.unsynced = true;
    const reply = await this.server.exec(message);
    if (reply.length && this.socket.writable) this.socket.write(reply);
    const status = lastReadyForQuery(reply);
    if (status) {
      this.status = status;
      this.unsynced = false;
      if (status === 'I') this.server.release(this);
    }
  }

  /** Leaves the backend idle for the next connection, whatever state this one left it in. */
  private async finish(): Promise<void> {
    this.socket.destroy();
    if (this.server.owns(this)) {
      try {
        if (this.unsynced) await this.forward(frontendMessage(FRONTEND_SYNC));
        if (this.status !== 'I') await this.forward(simpleQuery('ROLLBACK'));
      } catch {
        // Nothing more can be done for this connection's leftovers; never block the others.
      } finally {
        this.server.release(this);
      }
    }
    this.finished();
  }
}
