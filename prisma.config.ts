// Prisma CLI configuration (Prisma 7 keeps connection URLs out of schema.prisma).
// The running app never reads this file: it connects through @prisma/adapter-pg.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/musicpub' },
});
