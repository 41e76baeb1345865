import {ConfigError} from '../config-error.js';

/** Where and how the core serves HTTP (REST, MCP over streamable HTTP, the page): `ccfleet serve` or CCFLEET_HTTP. */
export type HttpSettings = {
	/** The address to bind: an IPv4/IPv6 literal or a name. */
	host: string;
	port: number;
	/** Names besides the loopback ones that Host and Origin may carry (a Tailscale name, a LAN name): --host-name, CCFLEET_HTTP_HOST_NAMES. */
	hostNames: string[];
	/** Certificate and key (PEM files): with them the core serves HTTPS. */
	tls?: {certPath: string; keyPath: string};
	/** Plain HTTP beyond loopback, asked for explicitly (--insecure, CCFLEET_HTTP_INSECURE=1). */
	isInsecure: boolean;
};

/** The names a loopback request carries in Host and Origin; always accepted. */
export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** Whether binding to this address keeps the server on this machine. */
export function isLoopback(host: string): boolean {
	const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
	return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** `127.0.0.1:7777`, `[::1]:7777`, `0.0.0.0:7777`, or a port alone (`7777`: loopback). */
export function parseListenAddress(text: string, name: string): {host: string; port: number} {
	const trimmed = text.trim();
	const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(trimmed) ?? (/^\d+$/.test(trimmed) ? [trimmed, undefined, '127.0.0.1', trimmed] : null);
	const port = match ? Number(match[3]) : Number.NaN;
	const host = match ? (match[1] ?? match[2] ?? '') : '';
	if (!match || !host || !Number.isInteger(port) || port < 0 || port > 65_535) {
		throw new ConfigError(`${name} is "${text}"; give host:port, e.g. 127.0.0.1:7777 (this machine only), [::1]:7777, or 0.0.0.0:7777 (every interface, needs TLS).`);
	}
	return {host, port};
}

/** Host names as given (a list separated by commas), lower-cased, without ports. */
export function parseHostNames(text: string | undefined): string[] {
	return (text ?? '')
		.split(',')
		.map(name => name.trim().toLowerCase())
		.filter(Boolean);
}

/** CCFLEET_HTTP and its companions; undefined when the core should not serve HTTP (the default). */
export function httpSettingsFromEnv(env: NodeJS.ProcessEnv): HttpSettings | undefined {
	if (!env.CCFLEET_HTTP) return undefined;
	const {host, port} = parseListenAddress(env.CCFLEET_HTTP, 'CCFLEET_HTTP');
	const cert = env.CCFLEET_TLS_CERT;
	const key = env.CCFLEET_TLS_KEY;
	if (Boolean(cert) !== Boolean(key))
		throw new ConfigError('CCFLEET_TLS_CERT and CCFLEET_TLS_KEY go together: give both PEM files (certificate and private key), or neither.');
	const insecure = env.CCFLEET_HTTP_INSECURE?.trim();
	if (insecure && !/^(0|1|true|false)$/i.test(insecure)) throw new ConfigError(`CCFLEET_HTTP_INSECURE is "${insecure}"; use 1 or 0.`);
	return {
		host,
		port,
		hostNames: parseHostNames(env.CCFLEET_HTTP_HOST_NAMES),
		...(cert && key ? {tls: {certPath: cert, keyPath: key}} : {}),
		isInsecure: insecure !== undefined && /^(1|true)$/i.test(insecure),
	};
}

/**
 * Refuses plain HTTP beyond loopback unless asked for (tokens would cross the network in clear); returns the warning
 * to print when it was asked for, else undefined.
 */
export function checkExposure(settings: HttpSettings): string | undefined {
	if (isLoopback(settings.host) || settings.tls) return undefined;
	if (!settings.isInsecure) {
		throw new ConfigError(
			`Serving HTTP on ${settings.host} reaches beyond this machine, and bearer tokens would cross the network in clear. Give --tls-cert and --tls-key (PEM files), ` +
				'or reach a loopback address through an SSH tunnel or Tailscale (see "Remote control" in the README), or pass --insecure if the network is trusted.',
		);
	}
	return `ccfleet: WARNING: serving plain HTTP on ${settings.host}:${settings.port} without TLS (--insecure): anyone on the network path can read tokens and tasks.`;
}

/** Binding to these serves every interface: no client reaches the server by that address. */
export const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '[::]';

/**
 * The URL to give out (printed by serve, token create, the daemon's log): on every interface, one by the first
 * --host-name (a name clients reach, which Host may carry) when one was given. `port`: the real one when 0 was asked.
 */
export function publicUrl(settings: HttpSettings, port = settings.port): string {
	const host = isWildcard(settings.host) ? (settings.hostNames[0] ?? settings.host) : settings.host;
	return `${settings.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
