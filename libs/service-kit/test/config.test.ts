import { z } from 'zod';
import { ConfigError, envBoolean, envInt, envList, parseEnv } from '../src';

const Schema = z.object({
  BROKERS: envList,
  PORT: envInt(1, 65535).default(8080),
  DEBUG: envBoolean.default(false),
});

describe('parseEnv', () => {
  it('parses, converts and applies defaults', () => {
    expect(parseEnv(Schema, { BROKERS: 'a:1, b:2', DEBUG: 'yes' })).toEqual({
      BROKERS: ['a:1', 'b:2'],
      PORT: 8080,
      DEBUG: true,
    });
  });

  it('names every missing or bad variable in one error', () => {
    let error: unknown;
    try {
      parseEnv(Schema, { PORT: '70000', DEBUG: 'maybe', UNRELATED: 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    expect(configError.retriable).toBe(false);
    expect(configError.problems).toEqual([
      'BROKERS: is required but not set',
      'PORT: must be at most 65535',
      'DEBUG: must be true or false',
    ]);
  });

  it('treats empty strings as unset', () => {
    expect(() => parseEnv(Schema, { BROKERS: '' })).toThrow('BROKERS: is required but not set');
  });
});
