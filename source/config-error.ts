/**
 * A setting that cannot be used; the message names the variable, what it got, and what it accepts. In a module of its
 * own so that the settings parsers config.ts calls (source/http/http-settings.ts) can throw it without importing
 * config.ts back.
 */
export class ConfigError extends Error {
	override name = 'ConfigError';
}
