// PUDDLE_LOG_LEVEL and PUDDLE_LOG_FORMAT, read through the settings reader by each entry point: the CLI at its
// start, the AWS functions with their runtime (infra/aws/handlers/runtime-source.ts). log.ts cannot read them so
// itself: the settings reader imports it. Until 2026-12-07 only the CLI read them so; a Lambda took a misspelt
// value for the default without a word.
import { LOG_FORMATS, LOG_LEVELS, setLogFormat, setLogLevel, type LogFormat } from './log.js';
import type { SettingsReader } from './settings.js';

/** Sets the level (default `info`) and format from `settings`; a value that is not one is the reader's problem, said by its `check()`. */
export function applyLogSettings(settings: SettingsReader, defaultFormat: LogFormat): void {
  setLogLevel(settings.oneOf('PUDDLE_LOG_LEVEL', LOG_LEVELS, 'info'));
  setLogFormat(settings.oneOf('PUDDLE_LOG_FORMAT', LOG_FORMATS, defaultFormat));
}
