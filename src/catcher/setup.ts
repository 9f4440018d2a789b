// From `catcher:` to the component (none when it listens nowhere): the signature table read and
// checked (a bad file stops sinkd before anything listens), and a warning when no sinkhole
// answer sends anyone to the catcher's addresses, so that an empty catch log is not a mystery.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { formatEndpoint } from '../net/address.js';
import type { CatchSink } from './catch.js';
import { CatchLog } from './catch-log.js';
import { SinkholeCatcher } from './catcher.js';
import { SignatureTable } from './signatures.js';

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

export function sinkholeCatcher(config: SinkdConfig, log: Logger, sink: CatchSink | null): SinkholeCatcher | undefined {
  const c = config.catcher;
  if (c.listen.length === 0) return undefined;
  const signatures = SignatureTable.load(c.signatures);
  warnUnreachable(config, log);
  return new SinkholeCatcher(c, signatures, new CatchLog(log), sink);
}

function warnUnreachable(config: SinkdConfig, log: Logger): void {
  const answered = new Set<string>();
  if (config.sinkhole.mode === 'sinkhole') {
    for (const s of [config.sinkhole, ...config.zones.map((z) => z.sinkhole ?? {})]) {
      for (const ip of [s.ipv4, s.ipv6]) if (ip !== undefined && !UNSPECIFIED.has(ip)) answered.add(ip);
    }
  }
  const unreached = config.catcher.listen.filter((e) => (UNSPECIFIED.has(e.host) ? answered.size === 0 : !answered.has(e.host)));
  if (unreached.length === 0) return;
  const addresses = unreached.map(formatEndpoint).join(', ');
  log.warn(
    { event: 'catcher-unreachable', catcher: unreached.map(formatEndpoint), sinkhole: [...answered] },
    config.sinkhole.mode === 'nxdomain'
      ? `the catcher listens on ${addresses}, but sinkhole.mode is nxdomain: no answer sends an infected host there`
      : `the catcher listens on ${addresses}, but no sinkhole answer points there (${answered.size === 0 ? 'the sinkhole addresses are 0.0.0.0 and ::' : `answers carry ${[...answered].join(', ')}`}): set --sinkhole-ipv4/--sinkhole-ipv6 to the catcher's address`,
  );
}
