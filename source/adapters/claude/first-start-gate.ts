import {readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {AdmissionPolicy} from '../../core/fleet/admission.js';

/** How often a held start looks again whether the first start-up has written the config. */
const RECHECK_MS = 200;
/**
 * claude writes its identity within seconds of starting; a gate still shut this long after the first start means this
 * claude keeps its config elsewhere (or none), and holding the fleet to one worker for that worker's whole task would
 * cost far more than the race.
 */
const MAX_HOLD_MS = 20_000;

/** claude's global config: `$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`. */
export function claudeGlobalConfigPath(env: NodeJS.ProcessEnv): string {
	return env['CLAUDE_CONFIG_DIR'] ? path.join(env['CLAUDE_CONFIG_DIR'], '.claude.json') : path.join(env['HOME'] || os.homedir(), '.claude.json');
}

/** Whether claude has started with this config before: its first start writes the installation's userID. */
function hasIdentity(configPath: string): boolean {
	try {
		const config = JSON.parse(readFileSync(configPath, 'utf8')) as {userID?: unknown};
		return typeof config.userID === 'string';
	} catch {
		return false;
	}
}

/**
 * The one start-up race claude 2.1.330 has (docs/research/concurrent-starts.md): its first start in a config that
 * has never seen one mints the installation's identity (userID, firstStartTime, migrations) and writes the whole
 * file back. Processes starting together each mint their own, and all but the last write are lost: 10 at once sent
 * 3 different device ids to the API, 30 at once 11, and a 250 ms stagger still 5. So while the config has no
 * identity, one start goes alone and the others wait until it has written one; from then on (the usual case, on a
 * machine where claude has run) every start goes at once. Should the first worker end without writing one (a claude
 * that keeps no config), or not write one within MAX_HOLD_MS, the gate opens as well.
 */
export function firstStartGate(configPath: string): AdmissionPolicy {
	let isOpen = false;
	let hasHeldOne = false;
	let firstStartAt: number | undefined;
	return {
		name: 'first-start',
		check: ({running, now}) => {
			if (isOpen) return {admit: true};
			if (hasIdentity(configPath)) {
				isOpen = true;
				return {admit: true};
			}
			if (running === 0) {
				// A worker ran and ended while one waited, and still no identity: this claude writes none.
				if (hasHeldOne) isOpen = true;
				firstStartAt ??= now;
				return {admit: true};
			}
			if (firstStartAt !== undefined && now - firstStartAt >= MAX_HOLD_MS) {
				isOpen = true;
				return {admit: true};
			}
			hasHeldOne = true;
			return {admit: false, reason: `the first claude start-up with ${configPath} writes its identity there; the others wait for it`, until: now + RECHECK_MS};
		},
	};
}
