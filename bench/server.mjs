// A musicpub server for benchmarks, in its own process so the load generator
// does not share its event loop. `--without-audit` swaps the audit trail for a
// no-op through Nest's testing overrides: the production code has no switch
// to turn auditing off, by design.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Started the way dist/main.js starts (same V8 flags; may replace this process, same pid).
require('../dist/node-flags.js').applyTunedNodeFlags();
const { Test } = require('@nestjs/testing');
const { AppLogger } = require('../dist/platform/logging/app-logger.js');
const { AppModule } = require('../dist/app.module.js');
const { AppConfig } = require('../dist/config/app-config.js');
const { configureHttp } = require('../dist/platform/http/configure-http.js');
const { mountOpenApi } = require('../dist/platform/openapi/openapi.js');
const { AuditTrail } = require('../dist/platform/audit/audit-trail.js');

const withoutAudit = process.argv.includes('--without-audit');
let builder = Test.createTestingModule({ imports: [AppModule.forRoot({ env: process.env })] });
if (withoutAudit) {
  builder = builder.overrideProvider(AuditTrail).useValue({
    append: async () => 'aud_none',
    record: async () => undefined,
    verify: async () => ({ ok: true, checked: 0 }),
  });
}
const moduleRef = await builder.compile();
const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
app.useLogger(app.get(AppLogger));
configureHttp(app, app.get(AppConfig));
// As createApp (src/app.factory.ts) builds the production app: /docs and /openapi.json mounted, so every request walks the same Express layers.
mountOpenApi(app);
require('../dist/platform/memory/startup-garbage.js').releaseStartupGarbage();
await app.listen(0, '127.0.0.1');
process.stdout.write(`LISTENING ${app.getHttpServer().address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
