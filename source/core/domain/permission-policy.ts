import path from 'node:path';
import {FleetError, InvalidInputError} from './errors.js';
import {parseRule, ruleMatches, splitCommand, type PermissionRule, type ToolCall} from './permission-rule.js';

/** A rule with the message a worker reads when a deny rule refuses its call. */
export type RuleEntry = {
	rule: PermissionRule;
	message?: string;
	/** The file it came from, when its level gathers rules from more than one. */
	source?: string;
};

export type RuleSet = {allow: RuleEntry[]; deny: RuleEntry[]; ask: RuleEntry[]};

export const PERMISSION_ANSWERS = ['allow', 'deny', 'ask'] as const;
export type PermissionAnswer = (typeof PERMISSION_ANSWERS)[number];

/** Where rules come from, most specific first: the task's own, its project's, the user's. */
export type PolicyLevelName = 'task' | 'project' | 'user';

export type PolicyLevel = {
	level: PolicyLevelName;
	/** The file the rules were read from, or "task <id>". */
	source: string;
	/** `/x` in these rules is relative to this directory (a project's root; the task's directory otherwise). */
	baseDir: string;
	rules: RuleSet;
};

/** The rule that decided, for the task's log and history. */
export type DecidingRule = {text: string; level: PolicyLevelName; source: string};

export type Verdict = {answer: PermissionAnswer; rules: DecidingRule[]; message?: string};

export const emptyRuleSet = (): RuleSet => ({allow: [], deny: [], ask: []});

/**
 * Decides a tool call by the rules. The most specific level with a matching rule decides (the task's own rules, then
 * its project's, then the user's); within a level deny beats ask beats allow. With no matching rule it asks. A shell
 * command is decided part by part (`a && b`): one part denied denies it, all parts allowed allow it, anything else
 * asks; a command that substitutes others ($(…)) is allowed only by a rule that allows every Bash call.
 */
export function decide(levels: readonly PolicyLevel[], call: ToolCall, context: {cwd: string; home: string}): Verdict {
	const command = call.toolName === 'Bash' ? (call.toolInput as {command?: unknown} | undefined)?.command : undefined;
	if (typeof command !== 'string') return decideOne(levels, call, context);
	const {parts, opaque} = splitCommand(command);
	const verdicts = (parts.length > 0 ? parts : [command]).map(part =>
		decideOne(levels, {toolName: 'Bash', toolInput: {...(call.toolInput as object), command: part}}, context),
	);
	const denied = verdicts.find(verdict => verdict.answer === 'deny');
	if (denied) return denied;
	const asked = verdicts.find(verdict => verdict.answer === 'ask');
	if (asked) return asked;
	const rules = uniqueRules(verdicts.flatMap(verdict => verdict.rules));
	if (opaque && !rules.every(rule => parseRule(rule.text).specifier === undefined)) return {answer: 'ask', rules: []};
	return {answer: 'allow', rules};
}

/** Whether one rule covers the whole of a call, as it would allow it: a shell command only if it covers every part. */
export function ruleCovers(rule: PermissionRule, call: ToolCall, context: {cwd: string; home: string}): boolean {
	const rules = emptyRuleSet();
	rules.allow.push({rule});
	return decide([{level: 'task', source: 'the rule given', baseDir: context.cwd, rules}], call, context).answer === 'allow';
}

function decideOne(levels: readonly PolicyLevel[], call: ToolCall, context: {cwd: string; home: string}): Verdict {
	for (const level of levels) {
		const ruleContext = {cwd: context.cwd, home: context.home, baseDir: level.baseDir};
		for (const answer of ['deny', 'ask', 'allow'] as const) {
			const entry = level.rules[answer].find(candidate => ruleMatches(candidate.rule, call, ruleContext));
			if (!entry) continue;
			const rule = {text: entry.rule.text, level: level.level, source: entry.source ?? level.source};
			if (answer !== 'deny') return {answer, rules: [rule]};
			return {
				answer,
				rules: [rule],
				message: entry.message ?? `Denied by the ${level.level} rule ${entry.rule.text} (${rule.source}). Take another way, or ask the user.`,
			};
		}
	}
	return {answer: 'ask', rules: []};
}

function uniqueRules(rules: DecidingRule[]): DecidingRule[] {
	const seen = new Set<string>();
	return rules.filter(rule => {
		const key = `${rule.level}\0${rule.source}\0${rule.text}`;
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

/**
 * The rules that let exactly this call through next time ("always allow"): a shell command's own parts, the file by
 * its absolute path, the fetched domain, or the tool. Throws when no rule short of allowing every call of the tool
 * would do (a command that substitutes others).
 */
export function rulesToAllow(call: ToolCall): string[] {
	const input = (call.toolInput ?? {}) as Record<string, unknown>;
	if (call.toolName === 'Bash' && typeof input['command'] === 'string') {
		const {parts, opaque} = splitCommand(input['command']);
		if (opaque)
			throw new InvalidInputError(
				'This command runs other commands inside it ($(…) or backquotes); no rule short of Bash (every command) can allow it. Answer it each time.',
			);
		return parts.map(part => `Bash(${part.replace(/\s+/g, ' ')})`);
	}
	if (call.toolName === 'WebFetch' && typeof input['url'] === 'string') {
		try {
			return [`WebFetch(domain:${new URL(input['url']).hostname})`];
		} catch {
			return ['WebFetch'];
		}
	}
	const file = input['file_path'] ?? input['notebook_path'];
	if (typeof file === 'string' && path.isAbsolute(file)) {
		const tool = ['Edit', 'Write', 'MultiEdit', 'NotebookEdit'].includes(call.toolName) ? 'Edit' : call.toolName;
		return [`${tool}(/${file})`];
	}
	return [call.toolName];
}

/** A policy file's contents: the user's rules, and rules for project directories (absolute paths). */
export type PolicyDocument = {rules: RuleSet; projects: Map<string, RuleSet>};

/** A policy file that cannot be used: the message names the file, the line, what is wrong and what is accepted. */
export class PolicyFileError extends FleetError {}

const DOCUMENT_KEYS = ['permissions', 'projects'];
const RULE_SET_KEYS = ['allow', 'deny', 'ask'];

/**
 * Reads a policy file (JSON, the shape of Claude Code's settings so rules can be copied):
 * `{"permissions": {"allow": [...], "deny": [...], "ask": [...]}, "projects": {"/abs/dir": {"allow": [...], ...}}}`.
 * A deny rule may carry the worker's message: `{"rule": "Bash(rm -rf:*)", "message": "Use npm run clean."}`.
 * Nothing bad is skipped: the first problem is thrown with its line.
 */
export function parsePolicyDocument(text: string, file: string): PolicyDocument {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (error) {
		const where = `:${syntaxErrorLine(text, String(error))}`;
		throw new PolicyFileError(`${file}${where}: not valid JSON (${(error as Error).message}). Expected {"permissions": {"allow": [...], "deny": [...], "ask": [...]}}.`);
	}
	const fail = (what: string, near?: string): never => {
		throw new PolicyFileError(`${file}${near === undefined ? '' : `:${lineOfText(text, near)}`}: ${what}`);
	};
	if (!isObject(raw)) return fail('expected an object such as {"permissions": {"allow": ["Bash(npm test:*)"]}}.');
	for (const key of Object.keys(raw)) if (!DOCUMENT_KEYS.includes(key)) fail(`unknown key "${key}"; accepted: ${DOCUMENT_KEYS.join(', ')}.`, JSON.stringify(key));
	const rules = raw['permissions'] === undefined ? emptyRuleSet() : readRuleSet(raw['permissions'], 'permissions', text, fail);
	const projects = new Map<string, RuleSet>();
	if (raw['projects'] !== undefined) {
		if (!isObject(raw['projects'])) fail('"projects" must map absolute directories to rule sets: {"/home/me/app": {"allow": [...]}}.', '"projects"');
		for (const [dir, set] of Object.entries(raw['projects'] as Record<string, unknown>)) {
			if (!path.isAbsolute(dir)) fail(`project "${dir}" must be an absolute directory.`, JSON.stringify(dir));
			projects.set(path.resolve(dir), readRuleSet(set, `projects["${dir}"]`, text, fail));
		}
	}
	return {rules, projects};
}

function readRuleSet(raw: unknown, where: string, text: string, fail: (what: string, near?: string) => never): RuleSet {
	if (!isObject(raw)) return fail(`"${where}" must be an object with allow, deny and ask lists.`);
	const set = emptyRuleSet();
	for (const [key, list] of Object.entries(raw)) {
		if (!RULE_SET_KEYS.includes(key)) fail(`unknown key "${key}" in ${where}; accepted: ${RULE_SET_KEYS.join(', ')}.`, JSON.stringify(key));
		if (!Array.isArray(list)) fail(`${where}.${key} must be a list of rules, such as ["Bash(npm test:*)", "Read"].`, JSON.stringify(key));
		for (const item of list as unknown[]) set[key as PermissionAnswer].push(readEntry(item, `${where}.${key}`, text, fail));
	}
	return set;
}

function readEntry(item: unknown, where: string, text: string, fail: (what: string, near?: string) => never): RuleEntry {
	const near = typeof item === 'string' ? JSON.stringify(item) : isObject(item) && typeof item['rule'] === 'string' ? JSON.stringify(item['rule']) : undefined;
	const ruleText = isObject(item) ? item['rule'] : item;
	if (isObject(item)) {
		const extra = Object.keys(item).filter(key => key !== 'rule' && key !== 'message');
		if (extra.length > 0) fail(`in ${where}, unknown key "${extra[0]}"; a rule is a string, or {"rule": "...", "message": "..."}.`, near);
		if (item['message'] !== undefined && typeof item['message'] !== 'string') fail(`in ${where}, "message" must be text the worker reads.`, near);
	}
	try {
		const rule = parseRule(ruleText);
		return isObject(item) && typeof item['message'] === 'string' ? {rule, message: item['message']} : {rule};
	} catch (error) {
		return fail(`in ${where}, ${(error as Error).message}`, near);
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineOf(text: string, offset: number): number {
	return text.slice(0, offset).split('\n').length;
}

/** The line of a JSON syntax error: from its position when the message gives one, else from the text it quotes. */
function syntaxErrorLine(text: string, message: string): number {
	const position = /position (\d+)/.exec(message)?.[1];
	if (position !== undefined) return lineOf(text, Number(position));
	if (/end of JSON input/.test(message)) return lineOf(text, text.length);
	// Node 20 quotes the text around the error: ten characters before it (after "...") and some after.
	const [, cut, quoted] = /(\.\.\.)?"([^]*?)"(?:\.\.\.)? is not valid JSON/.exec(message) ?? [];
	const index = quoted ? text.indexOf(quoted) : -1;
	return index < 0 ? 1 : lineOf(text, index + (cut ? 10 : 0));
}

/** The line where `needle` (a JSON-encoded string) first appears, 1-based; 1 when it is not found. */
function lineOfText(text: string, needle: string): number {
	const index = text.indexOf(needle);
	return index < 0 ? 1 : lineOf(text, index);
}
