import {ConfigError} from '../config.js';
import {FleetError} from '../core/domain/errors.js';

/** A command failed in a way the user can act on; the message says how. Exit code 1, or `exitCode` (2 for a usage error). */
export class CliError extends Error {
	override name = 'CliError';
	constructor(
		message: string,
		readonly exitCode = 1,
	) {
		super(message);
	}
}

/**
 * The MCP SDK's wrapping of a message: "MCP error -32602: " (once per layer that passed it on) and "Input validation
 * error: Invalid arguments for tool delegate_task: ". A person reads only what is wrong.
 */
const PROTOCOL_PREFIX = /^(?:MCP error -?\d+:\s*)+/;
const VALIDATION_PREFIX = /^(?:Input validation error:\s*)?Invalid arguments for tool [\w-]+:\s*/;

/** A tool's or the protocol's error text without the SDK's prefixes. */
export function plainToolMessage(text: string): string {
	return text.replace(PROTOCOL_PREFIX, '').replace(VALIDATION_PREFIX, '').trim();
}

/**
 * The one line (or few) every command prints for a failure, after "ccfleet: ". Expected errors give their message; an
 * unexpected one gives its message too, and its stack only with LOG_LEVEL=debug: a person never meets a stack trace.
 */
export function formatCliError(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
	if (error instanceof CliError || error instanceof ConfigError || error instanceof FleetError) return plainToolMessage(error.message);
	if (!(error instanceof Error)) return String(error);
	if (env['LOG_LEVEL'] === 'debug') return error.stack ?? error.message;
	return `${plainToolMessage(error.message)} (LOG_LEVEL=debug shows where it came from)`;
}

/** The exit code for a failure: a usage error's own, else 1. */
export function exitCodeOf(error: unknown): number {
	return error instanceof CliError ? error.exitCode : 1;
}
