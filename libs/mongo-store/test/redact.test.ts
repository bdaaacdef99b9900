import fc from 'fast-check';
import { UNPARSABLE_MONGO_URL, redactMongoUrl } from '../src';

describe('redactMongoUrl: user information', () => {
  it.each([
    ['user and password', 'mongodb://alice:s3cr3t-pw@db.example.com:27017/projections'],
    ['user only', 'mongodb://alice@db.example.com:27017/projections'],
    ['empty user information', 'mongodb://@db.example.com:27017/projections'],
    ['percent-encoded user and password', 'mongodb://al%40ice:p%40ss%3Aw%2Frd@db.example.com:27017/projections'],
    ['raw @ in the password', 'mongodb://alice:p@ss@db.example.com:27017/projections'],
    ['raw / ? # in the password', 'mongodb://alice:pa/ss?w#rd@db.example.com:27017/projections'],
  ])('%s: all of it becomes ***@', (_case, url) => {
    expect(redactMongoUrl(url)).toBe('mongodb://***@db.example.com:27017/projections');
  });

  it('mongodb+srv, keeping harmless options', () => {
    expect(
      redactMongoUrl('mongodb+srv://alice:s3cr3t@cluster0.ab1cd.mongodb.net/projections?retryWrites=true&w=majority'),
    ).toBe('mongodb+srv://***@cluster0.ab1cd.mongodb.net/projections?retryWrites=true&w=majority');
  });

  it('several hosts, which WHATWG URL cannot parse', () => {
    expect(
      redactMongoUrl('mongodb://app:s3cr3t@mongo-0:27017,mongo-1:27017,mongo-2:27017/projections?replicaSet=rs0'),
    ).toBe('mongodb://***@mongo-0:27017,mongo-1:27017,mongo-2:27017/projections?replicaSet=rs0');
  });

  it('an IPv6 host and a Unix socket', () => {
    expect(redactMongoUrl('mongodb://app:s3cr3t@[::1]:27017/projections')).toBe(
      'mongodb://***@[::1]:27017/projections',
    );
    expect(redactMongoUrl('mongodb://%2Ftmp%2Fmongodb-27017.sock/projections')).toBe(
      'mongodb://%2Ftmp%2Fmongodb-27017.sock/projections',
    );
  });
});

describe('redactMongoUrl: URLs without secrets stay as they are', () => {
  it.each([
    'mongodb://localhost:27017',
    'mongodb://localhost:27017/',
    'mongodb://localhost:27017/projections',
    'mongodb://localhost:27017/?authSource=admin',
    'mongodb://localhost:27017?directConnection=true',
    'mongodb+srv://cluster0.ab1cd.mongodb.net',
    'mongodb://h1,h2/projections?replicaSet=rs0&readPreference=secondaryPreferred&appName=feed%20builder',
  ])('%s', (url) => {
    expect(redactMongoUrl(url)).toBe(url);
  });
});

describe('redactMongoUrl: options', () => {
  it.each([
    'authMechanismProperties=AWS_SESSION_TOKEN%3AFwoGZXIvYXdz%2CSERVICE_NAME%3Amongodb',
    'tlsCertificateKeyFilePassword=s3cr3t',
    'sslPEMKeyPassword=s3cr3t',
    'password=s3cr3t',
    'proxyPassword=s3cr3t',
    'proxyUsername=proxy-alice',
    'PROXYPASSWORD=s3cr3t',
    'pass%77ord=s3cr3t',
    'clientSecret=s3cr3t',
    'apiToken=s3cr3t',
    'encryptionKey=s3cr3t',
  ])('masks the value of %s', (option) => {
    const name = option.slice(0, option.indexOf('='));
    expect(redactMongoUrl(`mongodb://h1:27017/projections?authSource=admin&${option}&w=1`)).toBe(
      `mongodb://h1:27017/projections?authSource=admin&${name}=***&w=1`,
    );
  });

  it('keeps TLS file paths, the auth source and the mechanism', () => {
    const url =
      'mongodb://h1/projections?tls=true&tlsCertificateKeyFile=%2Fetc%2Fssl%2Fclient.pem&sslPEMKeyFile=/etc/ssl/old.pem&authSource=%24external&authMechanism=MONGODB-X509';
    expect(redactMongoUrl(url)).toBe(url);
  });

  it('masks options separated by ;', () => {
    expect(redactMongoUrl('mongodb://h1/projections?w=1;password=s3cr3t;journal=true')).toBe(
      'mongodb://h1/projections?w=1;password=***;journal=true',
    );
  });

  it('masks a value whose name cannot be percent-decoded', () => {
    expect(redactMongoUrl('mongodb://h1/?pass%E0%A4%A=s3cr3t')).toBe('mongodb://h1/?pass%E0%A4%A=***');
  });

  it('masks both the user information and the options', () => {
    expect(
      redactMongoUrl('mongodb+srv://alice:s3cr3t@cluster0.ab1cd.mongodb.net/?authMechanismProperties=TOKEN_RESOURCE:x'),
    ).toBe('mongodb+srv://***@cluster0.ab1cd.mongodb.net/?authMechanismProperties=***');
  });
});

describe('redactMongoUrl: anything else', () => {
  it.each([
    ['not a URL', 'not a url at all'],
    ['another scheme', 'postgres://alice:s3cr3t@db.example.com/projections'],
    ['no host', 'mongodb://alice:s3cr3t@'],
    ['a host with a space', 'mongodb://alice:s3cr3t@db example.com/projections'],
    ['a non-numeric port (user:password without @)', 'mongodb://alice:s3cr3t/projections'],
    ['a raw @ in an option value, then more options', 'mongodb://alice:s3cr3t@h1/projections?appName=a@b&w=1'],
    ['empty', ''],
  ])('%s: the placeholder', (_case, url) => {
    expect(redactMongoUrl(url)).toBe(UNPARSABLE_MONGO_URL);
  });

  it('a raw @ in a last option value: everything before it counts as credentials', () => {
    expect(redactMongoUrl('mongodb://alice:s3cr3t@h1/projections?appName=a@b')).toBe('mongodb://***@b');
  });

  it('never throws, even on values that are not strings', () => {
    expect(redactMongoUrl(undefined as unknown as string)).toBe(UNPARSABLE_MONGO_URL);
    expect(redactMongoUrl({ toString: () => 'mongodb://a:b@c' } as unknown as string)).toBe(UNPARSABLE_MONGO_URL);
  });

  it('never shows a password or a percent-encoded secret option, whatever their characters', () => {
    const skeleton = 'mongodb://***@mongo-0:27017,mongo-1:27017/projections?replicaSet=rs0&password=***&w=majority';
    const secret = fc
      .string({ unit: 'binary-ascii', minLength: 6, maxLength: 40 })
      .filter((s) => !skeleton.includes(s) && !skeleton.includes(encodeURIComponent(s)));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), secret, secret, (user, password, option) => {
        const url = `mongodb://${user}:${password}@mongo-0:27017,mongo-1:27017/projections?replicaSet=rs0&password=${encodeURIComponent(option)}&w=majority`;
        const redacted = redactMongoUrl(url);
        expect(redacted).not.toContain(password);
        expect(redacted).not.toContain(encodeURIComponent(option));
        expect(redacted).toBe(skeleton);
      }),
    );
  });
});
