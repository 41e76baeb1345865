import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {emptyRuleSet, parsePolicyDocument, PolicyFileError, type PolicyDocument, type PolicyLevel, type RuleSet} from '../../core/domain/permission-policy.js';
import type {PermissionPolicies} from '../../core/ports/permission-policies.js';
import {writeFileAtomically} from './write-file-atomically.js';

/** A project keeps rules for all who work in it (committed with it) here. */
export const PROJECT_POLICY_FILE = path.join('.ccfleet', 'policy.json');

type Cached = {mtimeMs: number; size: number; document: PolicyDocument};

/**
 * The permission rules on disk: the user's policy file (CCFLEET_HOME/policy.json: its `permissions` for every task,
 * its `projects` for tasks under a directory) and a project's own `.ccfleet/policy.json`, found from the task's
 * directory upwards. Each file is parsed again only when it changed (one stat per question).
 */
export class PolicyFiles implements PermissionPolicies {
	readonly home = os.homedir();
	readonly #userFile: string;
	readonly #cache = new Map<string, Cached>();

	constructor(userFile: string) {
		this.#userFile = userFile;
	}

	get userFile(): string {
		return this.#userFile;
	}

	/** Reads the user's file; throws PolicyFileError when it cannot be used, so that a start can refuse it. */
	check(): void {
		this.#read(this.#userFile);
	}

	levelsFor(cwd: string): PolicyLevel[] {
		const user = this.#read(this.#userFile);
		const project: PolicyLevel[] = [];
		const section = user && nearestProject(user.projects, cwd);
		const projectFile = findUp(cwd, PROJECT_POLICY_FILE);
		const shared = projectFile ? this.#read(projectFile) : undefined;
		if (section || shared) {
			// Both files' rules for the project make one level: deny in either beats allow in the other.
			const rules = emptyRuleSet();
			if (shared) addRules(rules, shared.rules, projectFile!);
			if (section) addRules(rules, section.rules, `${this.#userFile} (projects["${section.dir}"])`);
			const baseDir = section?.dir ?? path.dirname(path.dirname(projectFile!));
			project.push({level: 'project', source: shared ? projectFile! : this.#userFile, baseDir, rules});
		}
		return user ? [...project, {level: 'user', source: this.#userFile, baseDir: cwd, rules: user.rules}] : project;
	}

	allowForProject(dir: string, rules: readonly string[]): string {
		const file = this.#userFile;
		let raw: Record<string, unknown> = {};
		if (fs.existsSync(file)) {
			// Parsed first: a file that cannot be read is refused, never overwritten.
			this.#read(file);
			raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
		}
		const projects = (raw['projects'] ?? {}) as Record<string, {allow?: unknown[]}>;
		const key = path.resolve(dir);
		const entry = (projects[key] ??= {});
		entry.allow = [...new Set([...(entry.allow ?? []), ...rules])];
		raw['projects'] = projects;
		writeFileAtomically(file, `${JSON.stringify(raw, null, '\t')}\n`);
		this.#cache.delete(file);
		return file;
	}

	#read(file: string): PolicyDocument | undefined {
		let stat: fs.Stats | undefined;
		try {
			stat = fs.statSync(file, {throwIfNoEntry: false});
		} catch (error) {
			throw new PolicyFileError(`${file}: cannot be read (${(error as Error).message}).`);
		}
		if (!stat) {
			this.#cache.delete(file);
			return undefined;
		}
		const cached = this.#cache.get(file);
		if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.document;
		let text: string;
		try {
			text = fs.readFileSync(file, 'utf8');
		} catch (error) {
			throw new PolicyFileError(`${file}: cannot be read (${(error as Error).message}). Check its permissions.`);
		}
		const document = parsePolicyDocument(text, file);
		this.#cache.set(file, {mtimeMs: stat.mtimeMs, size: stat.size, document});
		return document;
	}
}

function addRules(into: RuleSet, from: RuleSet, source: string): void {
	for (const answer of ['allow', 'deny', 'ask'] as const) into[answer].push(...from[answer].map(entry => ({...entry, source})));
}

/** The deepest project directory the user's file names that contains `cwd`. */
function nearestProject(projects: Map<string, RuleSet>, cwd: string): {dir: string; rules: RuleSet} | undefined {
	let best: {dir: string; rules: RuleSet} | undefined;
	const target = path.resolve(cwd);
	for (const [dir, rules] of projects) {
		const inside = target === dir || target.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);
		if (inside && (!best || dir.length > best.dir.length)) best = {dir, rules};
	}
	return best;
}

function findUp(start: string, relative: string): string | undefined {
	let dir = path.resolve(start);
	for (;;) {
		const candidate = path.join(dir, relative);
		if (fs.existsSync(candidate)) return candidate;
		const parent = path.dirname(dir);
		if (parent === dir) return undefined;
		dir = parent;
	}
}
