// The shape of sinkd's validated configuration as the rest of the program sees it, derived from
// the schema (schema.ts), so a key is defined in one place.
import type { z } from 'zod';
import type { configSchema } from './schema.js';

type Parsed = z.output<typeof configSchema>;

export interface SinkdConfig extends Parsed {
  /** Absolute path of the file read, or null when running on built-in defaults. */
  readonly configFile: string | null;
}

export type ListSpec = SinkdConfig['blocklists'][number];
export type ListFormat = ListSpec['format'];
export type SinkholeMode = SinkdConfig['sinkhole']['mode'];
export type LogLevel = SinkdConfig['log']['level'];
/** A seized zone that sinkd answers for authoritatively (DESIGN.md, "zones:"). */
export type ZoneSpec = SinkdConfig['zones'][number];
/** Response rate limiting of seized-zone answers over UDP (BIND's RRL; see src/rrl/options.ts). */
export type RrlSettings = SinkdConfig['rrl'];
/** The sinkhole catcher: TCP listeners on the sinkhole address (src/catcher). */
export type CatcherConfig = SinkdConfig['catcher'];
