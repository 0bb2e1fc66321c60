import { Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import { lazyRequestLogger } from './lazy-request-logger';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  const root = pino({ level, serializers: { req: (req: { id: string; url: string }) => ({ id: req.id, url: req.url }) } }, destination);
  return { root, lines };
}

const req = { id: 'req_1', url: '/v1/releases', method: 'GET', headers: {} } as unknown as IncomingMessage;

describe('lazyRequestLogger (request lines off)', () => {
  it('builds no child logger for a request that writes nothing at an enabled level', () => {
    const { root, lines } = capture('warn');
    const child = jest.spyOn(root, 'child');
    const log = lazyRequestLogger(root, req);
    log.info('dropped');
    log.debug({ a: 1 }, 'dropped');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('writes an enabled line with the request and its id bound, building the child once', async () => {
    const { root, lines } = capture('warn');
    const child = jest.spyOn(root, 'child');
    const log = lazyRequestLogger(root, req);
    log.warn({ cause: 'x' }, 'first');
    log.error('second');
    await new Promise((resolve) => setImmediate(resolve));
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toMatchObject([
      { level: 40, msg: 'first', cause: 'x', requestId: 'req_1', req: { id: 'req_1', url: '/v1/releases' } },
      { level: 50, msg: 'second', requestId: 'req_1' },
    ]);
  });

  it('keeps the request bindings on children made from it (PinoLogger.assign)', async () => {
    const { root, lines } = capture('warn');
    lazyRequestLogger(root, req).child({ extra: true }).warn('assigned');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toMatchObject([{ msg: 'assigned', extra: true, requestId: 'req_1' }]);
  });
});
