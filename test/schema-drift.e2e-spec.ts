// prisma/schema.prisma and prisma/migrations must describe the same database:
// the client is generated from the one, production runs the other. Without
// Prisma's schema engine (`prisma migrate diff` is unavailable offline) this
// compares them directly: every model field of the generated client against
// information_schema of a freshly migrated database, and back.
//
// Sources, from most to least authoritative:
// - the generated client's runtime data model: models, their table names and
//   each field's kind, Prisma type and column name (Prisma 7 prunes it to
//   exactly these, so optionality and @db types are not in it);
// - prisma/schema.prisma itself for what the client leaves out: `?`, `[]`,
//   `@db.*` native types and enum values. The parsing only reads the field
//   lines of blocks the client already named.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client } from 'pg';
import { PrismaClient } from '../src/generated/prisma/client';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';

interface RuntimeField {
  name: string;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  dbName?: string | null;
}
interface RuntimeModel {
  dbName: string | null;
  schema: string | null;
  fields: RuntimeField[];
}
/** Internals of a generated client instance (prisma/client runtime `getPrismaClient`). */
interface GeneratedClientInternals {
  _runtimeDataModel: { models: Record<string, RuntimeModel> };
  _engineConfig: { inlineSchema: string };
}

interface NativeType {
  name: string;
  args: string[];
}
interface FieldFacts {
  optional: boolean;
  list: boolean;
  nativeType?: NativeType;
}

interface ColumnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  is_nullable: 'YES' | 'NO';
}

// Prisma's PostgreSQL column type for a field without @db (psl postgres connector).
const DEFAULT_NATIVE_TYPES: Record<string, NativeType> = {
  String: { name: 'Text', args: [] },
  Boolean: { name: 'Boolean', args: [] },
  Int: { name: 'Integer', args: [] },
  BigInt: { name: 'BigInt', args: [] },
  Float: { name: 'DoublePrecision', args: [] },
  Decimal: { name: 'Decimal', args: ['65', '30'] },
  DateTime: { name: 'Timestamp', args: ['3'] },
  Json: { name: 'JsonB', args: [] },
  Bytes: { name: 'ByteA', args: [] },
};

// @db.* native type -> pg_type.typname, as information_schema reports it in udt_name.
const UDT_NAMES: Record<string, string> = {
  Text: 'text',
  VarChar: 'varchar',
  Char: 'bpchar',
  Uuid: 'uuid',
  Xml: 'xml',
  Inet: 'inet',
  Citext: 'citext',
  Bit: 'bit',
  VarBit: 'varbit',
  Boolean: 'bool',
  Integer: 'int4',
  SmallInt: 'int2',
  Oid: 'oid',
  BigInt: 'int8',
  DoublePrecision: 'float8',
  Real: 'float4',
  Decimal: 'numeric',
  Money: 'money',
  Timestamp: 'timestamp',
  Timestamptz: 'timestamptz',
  Date: 'date',
  Time: 'time',
  Timetz: 'timetz',
  Json: 'json',
  JsonB: 'jsonb',
  ByteA: 'bytea',
};

/** The lines of each `<keyword> Name { … }` block, without comments and blanks. */
function schemaBlocks(schema: string, keyword: 'model' | 'enum'): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  for (const [, name, body] of schema.matchAll(new RegExp(`^${keyword}\\s+(\\w+)\\s*\\{([\\s\\S]*?)^\\}`, 'gm'))) {
    const lines = body.split('\n').map((line) => line.trim());
    blocks.set(name, lines.filter((line) => line !== '' && !line.startsWith('//')));
  }
  return blocks;
}

function fieldFacts(modelLines: string[]): Map<string, FieldFacts> {
  const facts = new Map<string, FieldFacts>();
  for (const line of modelLines) {
    const field = line.match(/^(\w+)\s+\w+(?:\([^)]*\))?(\[\]|\?)?/);
    if (!field || line.startsWith('@@')) continue;
    const native = line.match(/@db\.(\w+)(?:\(([^)]*)\))?/);
    facts.set(field[1], {
      optional: field[2] === '?',
      list: field[2] === '[]',
      nativeType: native ? { name: native[1], args: native[2] ? native[2].split(',').map((arg) => arg.trim()) : [] } : undefined,
    });
  }
  return facts;
}

function enumFacts(schema: string): Map<string, { dbName: string; values: string[] }> {
  const enums = new Map<string, { dbName: string; values: string[] }>();
  for (const [name, lines] of schemaBlocks(schema, 'enum')) {
    const mapped = lines.find((line) => line.startsWith('@@map'))?.match(/"([^"]*)"/)?.[1];
    const values = lines
      .filter((line) => !line.startsWith('@@'))
      .map((line) => line.match(/@map\("([^"]*)"\)/)?.[1] ?? line.split(/\s/)[0]);
    enums.set(name, { dbName: mapped ?? name, values });
  }
  return enums;
}

function sizeSuffix({ name, args }: NativeType): string {
  switch (name) {
    case 'VarChar':
    case 'VarBit':
      return args[0] ? `(${args[0]})` : '';
    case 'Char':
    case 'Bit':
      return `(${args[0] ?? 1})`;
    case 'Decimal':
      return args[0] ? `(${args[0]},${args[1] ?? 0})` : '';
    case 'Timestamp':
    case 'Timestamptz':
    case 'Time':
    case 'Timetz':
      return `(${args[0] ?? 6})`;
    default:
      return '';
  }
}

function expectedColumn(field: RuntimeField, facts: FieldFacts, enumDbName: (name: string) => string): string {
  let type: string;
  if (field.kind === 'enum') {
    type = enumDbName(field.type);
  } else {
    const native = facts.nativeType ?? DEFAULT_NATIVE_TYPES[field.type];
    if (!native || !UDT_NAMES[native.name]) return `unknown Prisma type ${field.type}${facts.nativeType ? ` @db.${facts.nativeType.name}` : ''}`;
    type = UDT_NAMES[native.name] + (facts.list ? '' : sizeSuffix(native));
  }
  // Prisma creates list columns nullable and does not treat their nullability as drift.
  if (facts.list) return `${type}[]`;
  return `${type} ${facts.optional ? 'NULL' : 'NOT NULL'}`;
}

function actualColumn(column: ColumnRow): string {
  if (column.data_type === 'ARRAY') return `${column.udt_name.replace(/^_/, '')}[]`;
  let type = column.udt_name;
  if (['varchar', 'bpchar', 'bit', 'varbit'].includes(type) && column.character_maximum_length !== null) {
    type += `(${column.character_maximum_length})`;
  } else if (type === 'numeric' && column.numeric_precision !== null) {
    type += `(${column.numeric_precision},${column.numeric_scale})`;
  } else if (['timestamp', 'timestamptz', 'time', 'timetz'].includes(type)) {
    type += `(${column.datetime_precision})`;
  }
  return `${type} ${column.is_nullable === 'YES' ? 'NULL' : 'NOT NULL'}`;
}

describe('schema.prisma and prisma/migrations describe the same database', () => {
  let database: TestDatabase;
  let prisma: PrismaClient;
  let generated: GeneratedClientInternals;
  let schema: string;
  let columns: ColumnRow[];
  let databaseEnums: Map<string, string[]>;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Constructing the client reads its data model; it connects only on a query.
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });
    generated = prisma as unknown as GeneratedClientInternals;
    schema = readFileSync(path.resolve(__dirname, '../prisma/schema.prisma'), 'utf8');

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      columns = (
        await client.query<ColumnRow>(
          `SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name, c.character_maximum_length,
                  c.numeric_precision, c.numeric_scale, c.datetime_precision, c.is_nullable
             FROM information_schema.columns c
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')`,
        )
      ).rows;
      const enums = await client.query<{ name: string; labels: string[] }>(
        `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
           FROM pg_type t
           JOIN pg_enum e ON e.enumtypid = t.oid
           JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          GROUP BY t.typname`,
      );
      databaseEnums = new Map(enums.rows.map((row) => [row.name, row.labels]));
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.drop();
  });

  const models = () => Object.entries(generated._runtimeDataModel.models);
  const tableKey = (schemaName: string, table: string) => `${schemaName}.${table}`;
  const modelTable = (name: string, model: RuntimeModel) => tableKey(model.schema ?? 'public', model.dbName ?? name);
  const columnsOf = (key: string) => columns.filter((column) => tableKey(column.table_schema, column.table_name) === key);

  it('is checked against a client generated from the current prisma/schema.prisma', () => {
    expect(models().length).toBeGreaterThan(0);
    // A stale client would make every other assertion here compare the wrong schema.
    const normalize = (text: string) => text.replace(/[ \t]+/g, ' ').replace(/ ?\r?\n/g, '\n').trim();
    if (normalize(generated._engineConfig.inlineSchema) !== normalize(schema)) {
      throw new Error(
        'src/generated/prisma was generated from another version of prisma/schema.prisma: ' +
          'run `PRISMA_SCHEMA_ENGINE_BINARY=$PWD/package.json npx prisma generate` first',
      );
    }
  });

  it('creates, for every model field, a column of the same type and nullability', () => {
    const modelBlocks = schemaBlocks(schema, 'model');
    const enums = enumFacts(schema);
    const problems: string[] = [];
    for (const [name, model] of models()) {
      const table = modelTable(name, model);
      const tableColumns = new Map(columnsOf(table).map((column) => [column.column_name, column]));
      if (tableColumns.size === 0) {
        problems.push(`${table} (model ${name}): no migration creates this table`);
        continue;
      }
      const facts = fieldFacts(modelBlocks.get(name) ?? []);
      for (const field of model.fields.filter((candidate) => candidate.kind === 'scalar' || candidate.kind === 'enum')) {
        const columnName = field.dbName ?? field.name;
        const fact = facts.get(field.name);
        const column = tableColumns.get(columnName);
        if (!fact) problems.push(`${table}.${columnName}: field ${name}.${field.name} not found in schema.prisma`);
        else if (!column) problems.push(`${table}.${columnName}: no migration creates this column`);
        else {
          const expected = expectedColumn(field, fact, (enumName) => enums.get(enumName)?.dbName ?? enumName);
          const actual = actualColumn(column);
          if (expected !== actual) problems.push(`${table}.${columnName}: schema says ${expected}, migrations create ${actual}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a model for every table and a field for every column the migrations create', () => {
    const described = new Map(
      models().map(([name, model]) => [
        modelTable(name, model),
        new Set(model.fields.filter((field) => field.kind !== 'object').map((field) => field.dbName ?? field.name)),
      ]),
    );
    const problems: string[] = [];
    for (const column of columns) {
      const table = tableKey(column.table_schema, column.table_name);
      if (column.table_name === '_prisma_migrations') continue;
      const fields = described.get(table);
      if (!fields) problems.push(`${table}: created by the migrations but no model maps to it`);
      else if (!fields.has(column.column_name)) {
        problems.push(`${table}.${column.column_name}: created by the migrations but not in the model`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('creates every enum of the schema with the same values, and no other', () => {
    const expected = new Map([...enumFacts(schema).values()].map((facts) => [facts.dbName, facts.values]));
    expect(Object.fromEntries(databaseEnums)).toEqual(Object.fromEntries(expected));
  });
});
