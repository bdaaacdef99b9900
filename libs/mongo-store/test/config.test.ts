import type { ConfigError } from '@sc/service-kit';
import { MONGO_STORE_ENV_VARS, REQUIRED_MONGO_STORE_ENV_VARS, loadMongoStoreConfig } from '../src';

const problems = (env: Record<string, string>) => {
  try {
    loadMongoStoreConfig(env);
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

describe('store configuration', () => {
  it('applies defaults: majority reads and writes, five conflict rounds, 10,000 documents held', () => {
    expect(loadMongoStoreConfig({ MONGO_URL: 'mongodb://m:27017' })).toEqual({
      url: 'mongodb://m:27017',
      database: 'sc_read_models',
      readConcern: 'majority',
      writeConcern: 'majority',
      maxConflictRounds: 5,
      cachedDocuments: 10_000,
    });
    expect(loadMongoStoreConfig({ MONGO_URL: 'mongodb://m', STORE_CACHED_DOCUMENTS: '0' }).cachedDocuments).toBe(0);
    expect(problems({ MONGO_URL: 'mongodb://m', STORE_CACHED_DOCUMENTS: 'lots' })).toEqual([
      expect.stringMatching(/^STORE_CACHED_DOCUMENTS: /),
    ]);
    expect(loadMongoStoreConfig({ MONGO_URL: 'mongodb://m', MONGO_WRITE_CONCERN: '2' }).writeConcern).toBe(2);
  });

  it('fails naming every missing or bad variable', () => {
    expect(problems({})).toEqual(['MONGO_URL: is required but not set']);
    expect(
      problems({ MONGO_URL: 'http://x', MONGO_DB: 'a.b', MONGO_READ_CONCERN: 'eventual', MONGO_WRITE_CONCERN: 'all' }),
    ).toEqual([
      'MONGO_URL: must start with mongodb:// or mongodb+srv://',
      'MONGO_DB: must be a valid MongoDB database name',
      'MONGO_READ_CONCERN: must be local, majority, linearizable, available or snapshot',
      'MONGO_WRITE_CONCERN: must be majority or a number of nodes',
    ]);
  });

  it('lists its variables for docs and manifests', () => {
    expect(MONGO_STORE_ENV_VARS).toEqual(expect.arrayContaining([...REQUIRED_MONGO_STORE_ENV_VARS, 'MONGO_DB']));
    expect(MONGO_STORE_ENV_VARS.every((name) => name.startsWith('MONGO_') || name.startsWith('STORE_'))).toBe(true);
  });
});
