import { randomBytes } from 'node:crypto';

/** Key prefixes of the objects the emulator serves. */
export const KEY_PREFIX: Record<string, string> = {
  Account: '001',
  Contact: '003',
  User: '005',
  AccountContactRelation: '07k',
  Organization: '00D',
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The 3-character suffix that makes a 15-character id case-insensitively unique. */
export function checksumSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const code = id15.charCodeAt(chunk * 5 + i);
      if (code >= 65 && code <= 90) bits |= 1 << i;
    }
    suffix += ALPHABET[bits];
  }
  return suffix;
}

export function to18(id: string): string {
  return id.length === 18 ? id : id + checksumSuffix(id);
}

/** Ids look like Salesforce's: prefix, pod digits, a base-62 counter; 18 characters with the checksum. */
export class IdGenerator {
  private counters = new Map<string, number>();
  private readonly pod: string;

  constructor(pod = '5g0') {
    this.pod = pod.padEnd(3, '0').slice(0, 3);
  }

  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    let body = '';
    let value = n;
    for (let i = 0; i < 9; i++) {
      body = BASE62[value % 62] + body;
      value = Math.floor(value / 62);
    }
    const id15 = `${prefix}${this.pod}${body}`;
    return id15 + checksumSuffix(id15);
  }
}

/** 15 characters, or 18 whose last three are the checksum of the first fifteen. */
export function isValidIdShape(value: string): boolean {
  return /^[a-zA-Z0-9]{15}$/.test(value) || (/^[a-zA-Z0-9]{18}$/.test(value) && checksumSuffix(value.slice(0, 15)) === value.slice(15).toUpperCase());
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomBase36(length: number): string {
  let out = '';
  const bytes = randomBytes(length);
  for (let i = 0; i < length; i++) out += (bytes[i] % 36).toString(36);
  return out;
}
