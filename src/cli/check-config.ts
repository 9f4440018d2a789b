// `sinkd check-config`: validate the config (and that its list files are readable), print a
// summary, and exit 0 — or print every problem with its key path and exit 1. Starts nothing.

import { access, constants } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { loadConfig, ConfigError } from '../config/load.js';
import { formatEndpoint } from '../net/address.js';
import { SignatureTable } from '../catcher/signatures.js';
import { configOption, serveOverrideOptions } from './config-options.js';
import { overridesFrom, type ServeArgs } from './overrides.js';

export const checkConfigCommand: CommandModule<object, ServeArgs> = {
  command: 'check-config',
  describe: 'validate the configuration and exit (0 = valid)',
  builder: (y) => y.options({ ...configOption, ...serveOverrideOptions }) as never,
  handler: async (args) => {
    let config;
    try {
      config = loadConfig(overridesFrom(args));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    const problems: string[] = [];
    for (const [key, specs] of [['blocklists', config.blocklists], ['allowlists', config.allowlists]] as const) {
      for (const [i, spec] of specs.entries()) {
        if (spec.path === undefined) continue; // a url list is fetched by serve; nothing to check offline
        await access(spec.path, constants.R_OK).catch((err: Error) => problems.push(`${key}[${i}]: cannot read ${spec.path}: ${err.message}`));
      }
    }
    if (config.upstreams.length === 0) problems.push('upstreams: none configured and none usable in /etc/resolv.conf');
    let signatures: SignatureTable | null = null;
    try {
      signatures = SignatureTable.load(config.catcher.signatures);
    } catch (err) {
      problems.push(...(err as Error).message.split('\n'));
    }
    if (problems.length > 0) {
      process.stderr.write(`${config.configFile ?? '(built-in defaults)'}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    process.stdout.write(
      [
        `config OK: ${config.configFile ?? '(built-in defaults)'}`,
        `  listen:     ${config.listen.map(formatEndpoint).join(', ')}`,
        `  upstreams:  ${config.upstreams.map(formatEndpoint).join(', ')}`,
        `  blocklists: ${config.blocklists.map((s) => s.path ?? s.url).join(', ') || '(none)'}`,
        `  allowlists: ${config.allowlists.map((s) => s.path ?? s.url).join(', ') || '(none)'}`,
        `  sinkhole:   ${config.sinkhole.mode} A=${config.sinkhole.ipv4} AAAA=${config.sinkhole.ipv6} ttl=${config.sinkhole.ttl}s`,
        ...config.zones.map((z) => `  zone:       ${z.name} (authoritative; clean names from ${z.nameservers.map(formatEndpoint).join(', ')})`),
        `  catcher:    ${config.catcher.listen.length === 0 ? 'off' : `${config.catcher.listen.map(formatEndpoint).join(', ')} (${signatures?.size ?? 0} signatures)`}`,
        ...(config.zones.length === 0
          ? []
          : [`  rrl:        ${config.rrl.enabled ? `${config.rrl.responsesPerSecond}/s per /${config.rrl.ipv4PrefixLength} and /${config.rrl.ipv6PrefixLength}, slip ${config.rrl.slip}${config.rrl.logOnly ? ', log only' : ''}` : 'off'}`]),
        '',
      ].join('\n'),
    );
  },
};
