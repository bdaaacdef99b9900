import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawRecord } from '../src';

/** One example record of `test-vectors/` and what decoding it must give. */
export interface Vector {
  readonly name: string;
  readonly topic: string;
  readonly key: string | null;
  readonly value?: unknown;
  readonly valueRaw?: string | null;
  readonly valueBase64?: string;
  readonly expect: {
    readonly kind: 'event' | 'rejected' | 'ignored';
    readonly event_type?: string;
    readonly reason?: string;
    readonly detail_contains?: string;
    readonly absent_payload_fields?: readonly string[];
  };
}

export function loadVectors(file: 'valid' | 'invalid' | 'ignored'): Vector[] {
  return JSON.parse(readFileSync(join(__dirname, '..', 'test-vectors', `${file}.json`), 'utf8')) as Vector[];
}

export function vectorRecord(vector: Vector): RawRecord {
  let value: Buffer | null;
  if (vector.valueBase64 !== undefined) value = Buffer.from(vector.valueBase64, 'base64');
  else if (vector.valueRaw !== undefined)
    value = vector.valueRaw === null ? null : Buffer.from(vector.valueRaw, 'utf8');
  else value = Buffer.from(JSON.stringify(vector.value), 'utf8');
  return { topic: vector.topic, key: vector.key === null ? null : Buffer.from(vector.key, 'utf8'), value };
}
