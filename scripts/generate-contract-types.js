#!/usr/bin/env node
// Generates TypeScript types from the Avro contracts (libs/kafka/src/contracts/*.avsc), the single source of
// truth. `--check` regenerates in memory and fails when the committed file differs (CI runs it).
//
// The types describe values as avsc reads and writes them with its default union handling ("auto"): a union
// whose branches a JavaScript value tells apart (null, a string, a number, …) is a plain TypeScript union; one
// that holds several records is "wrapped", each value being `{ "<full name>": value }`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CONTRACTS = path.join(__dirname, '..', 'libs', 'kafka', 'src', 'contracts');
const OUTPUT = path.join(CONTRACTS, 'contract-types.generated.ts');

function fullName(name, namespace) {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function shortName(full) {
  return full.slice(full.lastIndexOf('.') + 1);
}

/** Walks one schema file, collecting named types and rendering TypeScript. */
class TypeRenderer {
  constructor(file) {
    this.file = file;
    this.named = new Map(); // full name -> { kind, schema, namespace }
    this.declarations = [];
  }

  bucket(schema, namespace) {
    if (typeof schema === 'string') {
      switch (schema) {
        case 'null': return 'null';
        case 'boolean': return 'boolean';
        case 'int': case 'long': case 'float': case 'double': return 'number';
        case 'string': return 'string';
        case 'bytes': return 'buffer';
        default: {
          const named = this.named.get(fullName(schema, namespace)) || this.named.get(schema);
          if (!named) throw new Error(`${this.file}: unknown type ${schema}`);
          return this.bucket(named.schema, named.namespace);
        }
      }
    }
    if (Array.isArray(schema)) throw new Error(`${this.file}: nested unions are not valid Avro`);
    switch (schema.type) {
      case 'record': case 'map': return 'object';
      case 'enum': return 'string';
      case 'fixed': return 'buffer';
      case 'array': return 'array';
      default: return this.bucket(schema.type, namespace);
    }
  }

  branchName(schema, namespace) {
    if (typeof schema === 'string') {
      const primitive = ['null', 'boolean', 'int', 'long', 'float', 'double', 'string', 'bytes'];
      return primitive.includes(schema) ? schema : (this.named.has(fullName(schema, namespace)) ? fullName(schema, namespace) : schema);
    }
    if (schema.name) return fullName(schema.name, schema.namespace || namespace);
    return schema.type;
  }

  type(schema, namespace) {
    if (typeof schema === 'string') {
      switch (schema) {
        case 'null': return 'null';
        case 'boolean': return 'boolean';
        case 'int': case 'long': case 'float': case 'double': return 'number';
        case 'string': return 'string';
        case 'bytes': return 'Buffer';
        default: {
          const full = this.named.has(fullName(schema, namespace)) ? fullName(schema, namespace) : schema;
          if (!this.named.has(full)) throw new Error(`${this.file}: unknown type ${schema}`);
          return shortName(full);
        }
      }
    }
    if (Array.isArray(schema)) return this.union(schema, namespace);
    switch (schema.type) {
      case 'record': return this.record(schema, namespace);
      case 'enum': return this.enumeration(schema, namespace);
      case 'array': return `Array<${this.type(schema.items, namespace)}>`;
      case 'map': return `Record<string, ${this.type(schema.values, namespace)}>`;
      case 'fixed': return 'Buffer';
      default: return this.type(schema.type, namespace);
    }
  }

  union(branches, namespace) {
    const buckets = branches.map((b) => this.bucket(b, namespace));
    const ambiguous = new Set(buckets).size !== buckets.length;
    return branches
      .map((branch) => {
        const rendered = this.type(branch, namespace);
        if (!ambiguous || rendered === 'null') return rendered;
        return `{ ${JSON.stringify(this.branchName(branch, namespace))}: ${rendered} }`;
      })
      .join(' | ');
  }

  register(schema, namespace) {
    const ns = schema.namespace || namespace;
    const full = fullName(schema.name, ns);
    if (this.named.has(full)) throw new Error(`${this.file}: ${full} is defined twice`);
    this.named.set(full, { schema, namespace: ns });
    return { full, ns };
  }

  enumeration(schema, namespace) {
    const { full } = this.register(schema, namespace);
    const doc = schema.doc ? `/** ${schema.doc} */\n` : '';
    this.declarations.push(`${doc}export type ${shortName(full)} = ${schema.symbols.map((s) => JSON.stringify(s)).join(' | ')};`);
    return shortName(full);
  }

  record(schema, namespace) {
    const { full, ns } = this.register(schema, namespace);
    const lines = schema.fields.map((field) => {
      const doc = field.doc ? `  /** ${field.doc} */\n` : '';
      return `${doc}  ${field.name}: ${this.type(field.type, ns)};`;
    });
    const doc = schema.doc ? `/** ${schema.doc} */\n` : '';
    this.declarations.push(`${doc}export interface ${shortName(full)} {\n${lines.join('\n')}\n}`);
    return shortName(full);
  }
}

function generate() {
  const files = fs.readdirSync(CONTRACTS).filter((f) => f.endsWith('.avsc')).sort();
  const seen = new Map();
  const sections = [];
  const index = [];
  for (const file of files) {
    const schema = JSON.parse(fs.readFileSync(path.join(CONTRACTS, file), 'utf8'));
    const generator = new TypeRenderer(file);
    const root = generator.type(schema, undefined);
    const subject = file.replace(/\.avsc$/, '');
    // Each schema file stands alone, so a shared record (DateTimeValue, …) is repeated per file; emit it once
    // as long as every file defines it the same way.
    const unique = generator.declarations.filter((declaration) => {
      const name = declaration.match(/export (?:interface|type) (\w+)/)[1];
      const previous = seen.get(name);
      if (previous === undefined) { seen.set(name, declaration); return true; }
      const bare = (text) => text.replace(/^\s*\/\*\*.*\*\/\n/gm, '');
      if (bare(previous) !== bare(declaration)) {
        throw new Error(`${file}: ${name} differs from another contract's ${name}; give one of them another name`);
      }
      return false;
    });
    sections.push(`// ---- ${file}\n\n${unique.join('\n\n')}`);
    index.push(`  ${JSON.stringify(subject)}: ${root};`);
  }
  return [
    '// Generated by scripts/generate-contract-types.js from libs/kafka/src/contracts/*.avsc. Do not edit:',
    '// change the .avsc file and run `npm run contracts:generate` (CI fails when this file is out of date).',
    '/* eslint-disable */',
    '',
    sections.join('\n\n'),
    '',
    '/** The value type of each contract, by its file name (= topic name). */',
    'export interface ContractTypes {',
    ...index,
    '}',
    '',
  ].join('\n');
}

/**
 * BACKWARD compatibility against every committed version of each contract: the current schema must read data
 * written with any earlier one (what the registry enforces at run time, caught here before a deploy).
 */
function checkHistory() {
  const { execFileSync } = require('node:child_process');
  const avro = require('avsc');
  let commits;
  const problems = [];
  for (const file of fs.readdirSync(CONTRACTS).filter((f) => f.endsWith('.avsc'))) {
    const relative = path.relative(path.join(__dirname, '..'), path.join(CONTRACTS, file));
    try {
      commits = execFileSync('git', ['log', '--format=%H', '--', relative], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      console.log('contracts: not a git checkout; compatibility with earlier versions not checked');
      return problems;
    }
    const reader = avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(CONTRACTS, file), 'utf8')));
    for (const commit of commits) {
      let old;
      try {
        old = execFileSync('git', ['show', `${commit}:${relative}`], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
      } catch {
        continue; // the file did not exist under this path at that commit
      }
      try {
        reader.createResolver(avro.Type.forSchema(JSON.parse(old)));
      } catch (error) {
        problems.push(`${file} cannot read data written with its version at ${commit.slice(0, 10)}: ${error.message}`);
      }
    }
  }
  return problems;
}

const output = generate();
if (process.argv.includes('--check')) {
  const incompatible = checkHistory();
  if (incompatible.length > 0) {
    console.error(`contracts: not BACKWARD compatible (add fields with defaults; never remove or retype one; a breaking change is a new .v2 topic):\n  ${incompatible.join('\n  ')}`);
    process.exit(1);
  }
  const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (current !== output) {
    console.error(
      `contracts: ${path.relative(process.cwd(), OUTPUT)} is out of date with the .avsc files: run npm run contracts:generate and commit the result`,
    );
    process.exit(1);
  }
  console.log('contracts: generated types match the .avsc files');
} else {
  fs.writeFileSync(OUTPUT, output);
  console.log(`contracts: wrote ${path.relative(process.cwd(), OUTPUT)}`);
}
