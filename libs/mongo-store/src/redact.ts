/** What {@link redactMongoUrl} returns for anything it cannot take apart safely. */
export const UNPARSABLE_MONGO_URL = 'mongodb://<unparsable url>';

const MASK = '***';

/**
 * URI options whose value is a secret or an identity, matched case-insensitively
 * (connection string options are case-insensitive). `authMechanismProperties` can
 * carry AWS session tokens and OIDC settings, so its whole value goes.
 */
const SECRET_OPTIONS: ReadonlySet<string> = new Set(
  [
    'authMechanismProperties',
    'tlsCertificateKeyFilePassword',
    'sslPEMKeyPassword',
    'password',
    'proxyPassword',
    'proxyUsername',
    'username',
    'user',
  ].map((name) => name.toLowerCase()),
);

/** Any other option whose name says it holds a secret: unknown options included. */
const SECRET_NAME = /password|passwd|pwd|secret|token|key|credential/i;

/** Options matching {@link SECRET_NAME} whose value is a file path, not a secret: kept for diagnosis. */
const FILE_PATH_OPTIONS: ReadonlySet<string> = new Set(
  ['tlsCertificateKeyFile', 'sslPEMKeyFile'].map((name) => name.toLowerCase()),
);

const SCHEME = /^(mongodb(?:\+srv)?):\/\//i;

/**
 * One host of a host list: a name, an IPv4 address or a percent-encoded Unix socket
 * path (`%2Ftmp%2Fmongodb-27017.sock`), or a bracketed IPv6 address; then an optional
 * numeric port.
 */
const HOST = /^(?:[A-Za-z0-9._~%-]+|\[[A-Za-z0-9:.%]+\])(?::[0-9]+)?$/;

/**
 * A MongoDB connection string fit for logs: the whole user information (user and
 * password) becomes `***@`, and the value of every secret URI option becomes `***`.
 * Hosts, ports, the database and the other options stay.
 *
 * Secret options: `authMechanismProperties`, `tlsCertificateKeyFilePassword`,
 * `sslPEMKeyPassword`, `password`, `proxyPassword`, `proxyUsername`, `username`, `user`,
 * and any option whose (percent-decoded) name contains `password`, `passwd`, `pwd`,
 * `secret`, `token`, `key` or `credential`, except the TLS file paths
 * `tlsCertificateKeyFile` and `sslPEMKeyFile` (a path is not a secret).
 *
 * Works on `mongodb://` and `mongodb+srv://`, on host lists (`h1:27017,h2:27017`, which
 * WHATWG URL cannot parse: done by string splitting), percent-encoded values, and URLs
 * without user information or options. Options are split on `&` and `;`.
 *
 * Safety over fidelity: the user information ends at the LAST `@` of the string, so a
 * raw `@` in a password is covered; a raw `@` in an option value (it should be `%40`)
 * makes everything before it count as credentials. Never throws: when what follows
 * that `@` is not a well-formed host list, or the scheme is not a MongoDB one, the
 * result is {@link UNPARSABLE_MONGO_URL}.
 */
export function redactMongoUrl(url: string): string {
  try {
    return redact(url);
  } catch {
    return UNPARSABLE_MONGO_URL;
  }
}

function redact(url: string): string {
  if (typeof url !== 'string') return UNPARSABLE_MONGO_URL;
  const trimmed = url.trim();
  const scheme = SCHEME.exec(trimmed);
  if (scheme === null) return UNPARSABLE_MONGO_URL;
  let rest = trimmed.slice(scheme[0].length);

  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0;
  if (userinfo) rest = rest.slice(at + 1);

  const hostsEnd = firstIndexOf(rest, ['/', '?']);
  const hosts = rest.slice(0, hostsEnd);
  if (!hosts.split(',').every((host) => HOST.test(host))) return UNPARSABLE_MONGO_URL;

  const afterHosts = rest.slice(hostsEnd);
  const queryStart = afterHosts.indexOf('?');
  const path = queryStart < 0 ? afterHosts : afterHosts.slice(0, queryStart);
  const query = queryStart < 0 ? undefined : afterHosts.slice(queryStart + 1);

  return `${scheme[1]}://${userinfo ? `${MASK}@` : ''}${hosts}${path}${query === undefined ? '' : `?${redactQuery(query)}`}`;
}

/** The options with the value of each secret one replaced; separators kept as they were. */
function redactQuery(query: string): string {
  return query
    .split(/([&;])/)
    .map((part) => {
      if (part === '&' || part === ';') return part;
      const equals = part.indexOf('=');
      if (equals < 0) return part;
      const name = part.slice(0, equals);
      return isSecretOption(name) ? `${name}=${MASK}` : part;
    })
    .join('');
}

function isSecretOption(rawName: string): boolean {
  let name: string;
  try {
    name = decodeURIComponent(rawName.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    return true; // a name we cannot decode might spell a secret one: mask its value
  }
  if (SECRET_OPTIONS.has(name)) return true;
  if (FILE_PATH_OPTIONS.has(name)) return false;
  return SECRET_NAME.test(name);
}

function firstIndexOf(text: string, characters: readonly string[]): number {
  const found = characters.map((c) => text.indexOf(c)).filter((i) => i >= 0);
  return found.length === 0 ? text.length : Math.min(...found);
}
