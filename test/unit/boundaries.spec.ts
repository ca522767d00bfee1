import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The dependency rule (apps → libs → domain; framework-free cores) is enforced by lint: prove it bites.
// ESLint loads its config with a dynamic import, which jest's module sandbox can't do: lint in a child process.
const root = join(__dirname, '..', '..');

const cases = {
  domainImportsLib: ['libs/domain/src/x.ts', "import { TOPICS } from '@connector/kafka';\nexport const t = TOPICS;\n"],
  domainImportsNest: ['libs/domain/src/x.ts', "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;\n"],
  domainImportsMongoose: ['libs/domain/src/x.ts', "import mongoose from 'mongoose';\nexport const m = mongoose;\n"],
  libImportsApp: ['libs/kafka/src/x.ts', "import { ApiModule } from '../../../apps/api/src/api.module';\nexport const a = ApiModule;\n"],
  coreImportsNest: ['libs/kafka/src/x.ts', "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;\n"],
  shellImportsNest: ['libs/kafka/src/x.module.ts', "import { Module } from '@nestjs/common';\nexport const m = Module;\n"],
  mappingImportsKafka: ['libs/mapping/src/x.ts', "import { TOPICS } from '@connector/kafka';\nexport const t = TOPICS;\n"],
  appDeepImport: ['apps/api/src/x.ts', "import { AvroSerde } from '@connector/kafka/src/avro-serde';\nexport const s = AvroSerde;\n"],
  appImportsApp: ['apps/api/src/x.ts', "import { IngestModule } from '../../ingest/src/ingest.module';\nexport const m = IngestModule;\n"],
  appImportsLib: ['apps/api/src/x.ts', "import { TOPICS } from '@connector/kafka';\nexport const t = TOPICS;\n"],
} as const;

const script = `
const { ESLint } = require('eslint');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = {};
  for (const [name, [path, code]] of Object.entries(cases)) {
    const [result] = await eslint.lintText(code, { filePath: require('path').join(process.cwd(), path) });
    out[name] = result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('dependency boundaries', () => {
  let counts: Record<keyof typeof cases, number>;

  beforeAll(() => {
    counts = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, input: JSON.stringify(cases), encoding: 'utf8' }));
  }, 60_000);

  it('keeps the domain free of other libs, frameworks and I/O', () => {
    expect(counts.domainImportsLib).toBe(1);
    expect(counts.domainImportsNest).toBe(1);
    expect(counts.domainImportsMongoose).toBe(1);
  });

  it('forbids libs importing apps, and keeps mapping pure', () => {
    expect(counts.libImportsApp).toBe(1);
    expect(counts.mappingImportsKafka).toBe(1);
  });

  it('keeps infrastructure cores framework-free but lets their Nest shells use Nest', () => {
    expect(counts.coreImportsNest).toBe(1);
    expect(counts.shellImportsNest).toBe(0);
  });

  it('makes apps use the libs entry points and never another app', () => {
    expect(counts.appDeepImport).toBe(1);
    expect(counts.appImportsApp).toBe(1);
    expect(counts.appImportsLib).toBe(0);
  });
});
