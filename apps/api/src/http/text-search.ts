/**
 * The first string of a JSON value (a key or a string value, depth first) that `problem` finds fault with: its
 * field path (`a.b[2]`, `(body)` for the value itself) and the problem; null when every string passes.
 */
export function firstBadString(value: unknown, problem: (text: string) => string | null, at = ''): { field: string; problem: string } | null {
  if (typeof value === 'string') {
    const found = problem(value);
    return found ? { field: at || '(body)', problem: found } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstBadString(value[i], problem, `${at}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const field = at ? `${at}.${key}` : key;
      const inKey = problem(key);
      if (inKey) return { field, problem: `the field name ${inKey}` };
      const found = firstBadString(inner, problem, field);
      if (found) return found;
    }
  }
  return null;
}
