import type {Config} from '../config.js';
import {createStderrLogger} from '../adapters/system/stderr-logger.js';
import {checkExposure, parseHostNames, parseListenAddress, type HttpSettings} from '../http/http-settings.js';
import {TokenFile, tokenFilePath} from '../http/token-store.js';
import {connectToSocket, NoCoreRunningError} from '../mcp/socket-server.js';
import {runDaemon} from './daemon.js';
import {CliError} from './errors.js';

export type ServeFlags = {http?: string; hostName?: string[]; tlsCert?: string; tlsKey?: string; insecure?: boolean};

/** The HTTP settings of `ccfleet serve`: its flags, over CCFLEET_HTTP and its companions. */
export function serveSettings(config: Config, flags: ServeFlags): HttpSettings {
	const fromEnv = config.http;
	const address = flags.http ? parseListenAddress(flags.http, '--http') : fromEnv;
	if (!address) throw new CliError('ccfleet serve needs an address: ccfleet serve --http 127.0.0.1:7777 (or set CCFLEET_HTTP).', 2);
	if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new CliError('--tls-cert and --tls-key go together: give both PEM files (certificate and private key).', 2);
	const tls = flags.tlsCert && flags.tlsKey ? {certPath: flags.tlsCert, keyPath: flags.tlsKey} : fromEnv?.tls;
	return {
		host: address.host,
		port: address.port,
		hostNames: [...(fromEnv?.hostNames ?? []), ...parseHostNames((flags.hostName ?? []).join(','))],
		...(tls ? {tls} : {}),
		isInsecure: flags.insecure === true || fromEnv?.isInsecure === true,
	};
}

/**
 * `ccfleet serve --http ADDR`: runs the core in the foreground, serving HTTP as well as its socket, until Ctrl-C or
 * `ccfleet stop`. A core already running for this state directory is not taken over: it is said, with the two ways on.
 */
export async function serve(config: Config, flags: ServeFlags): Promise<number> {
	const http = serveSettings(config, flags);
	// Refused before anything starts; the warning itself is printed by the server when it listens.
	checkExposure(http);
	try {
		(await connectToSocket(config.socketPath)).destroy();
		throw new CliError(
			`A ccfleet core already runs for ${config.home}, and only a starting core can serve HTTP. Stop it (\`ccfleet stop\`: its running tasks resume) and run ccfleet serve again, ` +
				`or set CCFLEET_HTTP=${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port} where the daemon starts (systemd, your shell) so that every start serves HTTP.`,
		);
	} catch (error) {
		if (!(error instanceof NoCoreRunningError)) throw error;
	}
	const hasTokens = new TokenFile(tokenFilePath(config.home)).list().length > 0;
	return runDaemon({...config, http}, createStderrLogger(config.logLevel), {
		onReady: ({httpUrl}) => {
			const url = httpUrl ?? '';
			process.stderr.write(
				`ccfleet: serving the fleet at ${url}: MCP at ${url}/mcp, the REST API described at ${url}/openapi.json. Ctrl-C stops (running tasks resume at the next start).\n` +
					`  ${hasTokens ? 'Tokens: ccfleet token list;' : 'No token exists yet:'} make one with  ccfleet token create --name <name> [--read-only]\n` +
					`  Claude Code: claude mcp add --transport http ccfleet ${url}/mcp --header "Authorization: Bearer <token>"\n` +
					`  The page (a phone, a browser): open ${url}/#token=<token> once; the page keeps the token and takes it out of the address.\n`,
			);
		},
	});
}
