// Owns reading redis.url and redis.nodes: what a connection needs from them (host, port,
// database, credentials, TLS) and a form of the address fit for messages (never a password).

export interface RedisUrl {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** rediss:// */
  readonly tls: boolean;
  /** redis://host:port, for messages (no credentials). */
  readonly display: string;
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export function parseRedisUrl(url: string): RedisUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`redis.url is not a URL: ${redactUrl(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`redis.url must start with redis:// or rediss://: ${redactUrl(url)}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`redis.url has no host: ${redactUrl(url)}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new Error(`redis.url: "${dbText}" is not a database number`);
  return {
    host,
    port,
    db,
    tls: u.protocol === 'rediss:',
    display: `${u.protocol}//${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** HOST:PORT or [IPv6]:PORT. */
export function parseNode(text: string): RedisNode {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`bad Redis node "${text}": expected HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** A URL for messages: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
