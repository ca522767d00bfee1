import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { firstBadString } from './text-search';

/** Where a validated value came from: a missing body is refused, a missing query is an empty one. */
type Source = 'body' | 'query';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Validates a request body or query with a zod schema. The first problem is a 400 that names the field:
 * a missing body, a string (or a key) holding NUL or a lone surrogate (text no store or Salesforce field keeps
 * as sent), or what the schema refuses.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S, private readonly source: Source) {}

  transform(value: unknown): z.infer<S> {
    if (value === undefined && this.source === 'body') throw invalid('(body)', 'a JSON body is required');
    const text = firstBadString(value ?? {}, textProblem);
    if (text) throw invalid(text.field, text.problem);
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = fieldPath(issue.path);
    const unknownKeys = issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []) : [];
    if (unknownKeys.length > 0) throw invalid([path, unknownKeys[0]].filter(Boolean).join('.'), 'unknown field');
    throw invalid(path || '(body)', issue.message);
  }
}

function invalid(field: string, message: string): BadRequestException {
  return new BadRequestException({ code: 'INVALID_REQUEST', message: `${field}: ${message}`, field });
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Why a string is not text a store keeps as sent: NUL, or a lone UTF-16 surrogate. */
function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it holds a lone surrogate)';
  return null;
}
