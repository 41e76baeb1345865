import type {Config} from '../config.js';
import {publicUrl} from '../http/http-settings.js';
import {TokenFile, tokenFilePath} from '../http/token-store.js';
import {stdout, type Output} from './client.js';
import {CliError} from './errors.js';

export type TokenFlags = {name?: string; readOnly?: boolean; json?: boolean};

const stderr: Output = {out: text => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)};

/**
 * `ccfleet token create|list|revoke`: the bearer tokens of the HTTP API (`ccfleet serve`). Works on the token file
 * directly, with or without a running core; a running core reads the file again when it changes.
 */
export function token(config: Config, input: readonly string[], flags: TokenFlags, io: Output = stdout, notes: Output = stderr): number {
	const [subcommand, ...rest] = input;
	const file = new TokenFile(tokenFilePath(config.home));
	switch (subcommand ?? '') {
		case 'create': {
			const name = flags.name ?? rest[0];
			if (!name) throw new CliError('ccfleet token create needs a name: ccfleet token create --name phone [--read-only].', 2);
			const secret = file.create(name, {isReadOnly: flags.readOnly === true});
			const address = config.http ? publicUrl(config.http) : 'http://127.0.0.1:7777';
			io.out(secret);
			notes.out(
				`ccfleet: token "${name}" created${flags.readOnly ? ' (read-only: it can look, not change anything)' : ''}. It is shown only this once; keep it in a password manager.\n` +
					`  curl:        curl -H "Authorization: Bearer <token>" ${address}/fleet\n` +
					`  Claude Code: claude mcp add --transport http ccfleet ${address}/mcp --header "Authorization: Bearer <token>"\n` +
					`  The page:    open ${address}/#token=<token> once (the page keeps it)\n` +
					`  (with the address \`ccfleet serve\` printed). Revoke it with: ccfleet token revoke ${name}`,
			);
			return 0;
		}
		case 'list': {
			const tokens = file.list();
			if (flags.json) {
				io.out(
					JSON.stringify(
						tokens.map(({name, readOnly, createdAt}) => ({name, readOnly, createdAt})),
						null,
						2,
					),
				);
				return 0;
			}
			if (tokens.length === 0) {
				io.out('No tokens. Create one with: ccfleet token create --name <name> [--read-only]');
				return 0;
			}
			const width = Math.max(4, ...tokens.map(entry => entry.name.length));
			io.out(
				[
					`${'NAME'.padEnd(width)}  ACCESS      CREATED`,
					...tokens.map(entry => `${entry.name.padEnd(width)}  ${(entry.readOnly ? 'read-only' : 'read-write').padEnd(10)}  ${entry.createdAt}`),
				].join('\n'),
			);
			return 0;
		}
		case 'revoke': {
			const name = flags.name ?? rest[0];
			if (!name) throw new CliError('ccfleet token revoke needs the name of a token; ccfleet token list shows them.', 2);
			if (!file.revoke(name)) throw new CliError(`No token named ${name}. ccfleet token list shows the tokens.`);
			notes.out(`ccfleet: token "${name}" revoked; requests with it get 401 from now on.`);
			return 0;
		}
		default:
			throw new CliError(`${subcommand ? `Unknown subcommand "ccfleet token ${subcommand}"` : 'ccfleet token needs a subcommand'}: use create, list or revoke.`, 2);
	}
}
