import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AppLogger } from './app-logger';
import { runWithRequestLogger } from './request-log-context';

function capture(level = 'trace') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { root: pino({ level }, destination), lines };
}
const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('AppLogger', () => {
  afterEach(() => Logger.overrideLogger(false));

  it("writes Nest's Logger calls as pino lines: context, merging object, message and level", async () => {
    const { root, lines } = capture();
    Logger.overrideLogger(new AppLogger(root));
    const logger = new Logger('Probe');
    logger.log('plain message');
    logger.warn({ orgId: 'org_1' }, 'with fields');
    logger.debug('debugged');
    logger.verbose('verbose is trace');
    logger.fatal('fatal');
    await flushed();
    expect(lines).toMatchObject([
      { level: 30, context: 'Probe', msg: 'plain message' },
      { level: 40, context: 'Probe', orgId: 'org_1', msg: 'with fields' },
      { level: 20, context: 'Probe', msg: 'debugged' },
      { level: 10, context: 'Probe', msg: 'verbose is trace' },
      { level: 60, context: 'Probe', msg: 'fatal' },
    ]);
  });

  it('logs an Error as err, with its stack, and reads Nest\'s (message, stack, context) error form', async () => {
    const { root, lines } = capture();
    const logger = new AppLogger(root);
    logger.error(new Error('boom'), 'Probe');
    logger.error('handler failed', 'Error: handler failed\n    at somewhere (file.ts:1:1)', 'ExceptionsHandler');
    await flushed();
    expect(lines[0]).toMatchObject({ level: 50, context: 'Probe', err: { message: 'boom', type: 'Error' } });
    expect((lines[0].err as { stack: string }).stack).toContain('Error: boom');
    expect(lines[1]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'handler failed', stack: expect.stringContaining('at somewhere') } });
  });

  it("writes into the current request's logger, so the line carries its bindings; outside a request, into the root", async () => {
    const { root, lines } = capture('info');
    const logger = new AppLogger(root);
    runWithRequestLogger(root.child({ requestId: 'req_in' }), () => {
      logger.warn('inside', 'Probe');
      setImmediate(() => logger.warn('still inside, later', 'Probe'));
    });
    logger.warn('outside', 'Probe');
    await flushed();
    await flushed();
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'inside', requestId: 'req_in' }),
      expect.not.objectContaining({ requestId: expect.anything() }),
      expect.objectContaining({ msg: 'still inside, later', requestId: 'req_in' }),
    ]);
  });

  it('writes nothing below its level and does not build the line', async () => {
    const { root, lines } = capture('warn');
    const logger = new AppLogger(root);
    const fields = { get expensive(): string { throw new Error('read although the level is off'); } };
    logger.log(fields, 'dropped');
    logger.debug('dropped');
    await flushed();
    expect(lines).toEqual([]);
  });
});
