import {readdirSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parse as parseYaml} from 'yaml';
import type {ConfigFile, UserDefinitions} from '../../core/ports/workflow-catalog.js';

const WORKFLOW_EXTENSIONS = ['.yaml', '.yml', '.json'];
const ROLE_EXTENSIONS = [...WORKFLOW_EXTENSIONS, '.md'];

/** `${XDG_CONFIG_HOME:-~/.config}/ccfleet`: where a user's roles/ and workflows/ live. */
export function userConfigDirectory(env: NodeJS.ProcessEnv = process.env): string {
	const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
	return path.join(base, 'ccfleet');
}

/**
 * The user's roles and workflow templates, as files in the config directory: YAML or JSON (a role may also be
 * Markdown, its text the instructions). Read on every call; a folder that does not exist holds nothing, and a file
 * that cannot be read or parsed is returned with the reason, for the core to report by file.
 */
export class WorkflowFiles implements UserDefinitions {
	readonly directory: string;

	constructor(directory: string) {
		this.directory = directory;
	}

	roles(): ConfigFile[] {
		return readFolder(path.join(this.directory, 'roles'), ROLE_EXTENSIONS);
	}

	workflows(): ConfigFile[] {
		return readFolder(path.join(this.directory, 'workflows'), WORKFLOW_EXTENSIONS);
	}
}

function readFolder(folder: string, extensions: readonly string[]): ConfigFile[] {
	let names: string[];
	try {
		names = readdirSync(folder);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		return [{path: folder, name: '', error: `cannot read the folder: ${(error as Error).message}`}];
	}
	return names
		.filter(name => extensions.includes(path.extname(name).toLowerCase()) && !name.startsWith('.'))
		.sort()
		.map(name => readConfigFile(path.join(folder, name)));
}

/** One file, parsed by its extension; a fault is kept as the file's error, with the line where there is one. */
export function readConfigFile(file: string): ConfigFile {
	const extension = path.extname(file).toLowerCase();
	const name = path.basename(file, path.extname(file));
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		return {path: file, name, error: `cannot read the file: ${(error as Error).message}`};
	}
	if (extension === '.md') return {path: file, name, content: text};
	try {
		return {path: file, name, content: extension === '.json' ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown)};
	} catch (error) {
		const message = (error as Error).message.split('\n')[0]!;
		return {path: file, name, error: `not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${message}`};
	}
}
