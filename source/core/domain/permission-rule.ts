import path from 'node:path';
import picomatch from 'picomatch';
import {InvalidInputError} from './errors.js';

/**
 * One permission rule in Claude Code's own syntax, so that users can copy the rules they already have:
 * `Tool` or `Tool(specifier)`. `Bash(npm test)` is one command, `Bash(npm test:*)` every command starting with it,
 * `Bash(git * --dry-run)` a wildcard; `Read(src/**)`/`Edit(//tmp/x)` gitignore-like paths; `WebFetch(domain:x.com)`;
 * `mcp__server` or `mcp__server__tool`.
 */
export type PermissionRule = {
	/** As written, for messages and history. */
	text: string;
	tool: string;
	/** What follows the tool in brackets; absent when the rule names the tool alone (or `Tool(*)`). */
	specifier?: string;
};

/** Where a rule's relative paths start from. */
export type RuleContext = {
	/** The task's directory: `src/**` and `./x` are relative to it. */
	cwd: string;
	/** The directory of the level the rule belongs to: `/src/**` is relative to it (a project's root). */
	baseDir: string;
	/** The user's home: `~/x`. */
	home: string;
};

/** A tool call a worker asks to make. */
export type ToolCall = {toolName: string; toolInput: unknown};

export const RULE_SYNTAX_HELP =
	'Accepted: a tool name (Bash, Read, Edit, Write, WebFetch, mcp__server, mcp__server__tool …) alone or with a specifier in brackets: ' +
	'Bash(npm test), Bash(npm test:*), Read(src/**), Edit(//abs/path), WebFetch(domain:docs.example.com).';

/** Why a rule could not be read, in words that say what is accepted. */
export class RuleSyntaxError extends InvalidInputError {}

const FILE_EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const FILE_READ_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS']);

/** Reads a rule; throws RuleSyntaxError saying what is wrong and what is accepted. */
export function parseRule(text: unknown): PermissionRule {
	if (typeof text !== 'string') throw new RuleSyntaxError(`A rule must be a string such as "Bash(npm test:*)", got ${JSON.stringify(text)}. ${RULE_SYNTAX_HELP}`);
	const trimmed = text.trim();
	const match = /^([A-Za-z][\w-]*)(?:\((.*)\))?$/s.exec(trimmed);
	if (!match) throw new RuleSyntaxError(`"${text}" is not a permission rule. ${RULE_SYNTAX_HELP}`);
	const [, tool, rawSpecifier] = match as unknown as [string, string, string | undefined];
	if (rawSpecifier === undefined || rawSpecifier.trim() === '*') return {text: trimmed, tool};
	const specifier = rawSpecifier.trim();
	if (specifier === '') throw new RuleSyntaxError(`"${text}" has empty brackets; write ${tool} alone to match every ${tool} call. ${RULE_SYNTAX_HELP}`);
	if (tool === 'Bash' && specifier.includes(':*') && !specifier.endsWith(':*')) {
		throw new RuleSyntaxError(`"${text}": ":*" may only end a Bash rule (a prefix, as in Bash(npm test:*)); use * for a wildcard elsewhere.`);
	}
	if (tool === 'WebFetch' && !/^domain:[\w.*-]+$/.test(specifier)) {
		throw new RuleSyntaxError(`"${text}": a WebFetch rule names a domain, as in WebFetch(domain:docs.example.com).`);
	}
	if (tool.startsWith('mcp__')) throw new RuleSyntaxError(`"${text}": an MCP rule takes no brackets; write mcp__server or mcp__server__tool.`);
	return {text: trimmed, tool, specifier};
}

/** Whether a rule covers a tool call. A Bash rule is matched against one simple command (see splitCommand). */
export function ruleMatches(rule: PermissionRule, call: ToolCall, context: RuleContext): boolean {
	if (!toolMatches(rule.tool, call.toolName)) return false;
	if (rule.specifier === undefined) return true;
	const input = (call.toolInput ?? {}) as Record<string, unknown>;
	if (rule.tool === 'Bash') return typeof input['command'] === 'string' && commandMatches(rule.specifier, input['command']);
	if (rule.tool === 'WebFetch') return typeof input['url'] === 'string' && domainMatches(rule.specifier.slice('domain:'.length), input['url']);
	if (FILE_EDIT_TOOLS.has(rule.tool) || FILE_READ_TOOLS.has(rule.tool)) {
		const target = filePathOf(call, context.cwd);
		return target !== undefined && pathMatches(rule.specifier, target, context);
	}
	if (rule.tool === 'Task') return input['subagent_type'] === rule.specifier;
	// A tool whose input ccfleet does not know: the specifier must equal its whole input, written as claude shows it.
	return JSON.stringify(call.toolInput) === rule.specifier;
}

/** `Edit` rules cover every tool that edits files and `Read` rules those that read them, as in Claude Code. */
function toolMatches(ruleTool: string, toolName: string): boolean {
	if (ruleTool === toolName) return true;
	if (ruleTool === 'Edit') return FILE_EDIT_TOOLS.has(toolName);
	if (ruleTool === 'Read') return FILE_READ_TOOLS.has(toolName);
	// mcp__server covers all of that server's tools.
	return ruleTool.startsWith('mcp__') && !ruleTool.slice(5).includes('__') && toolName.startsWith(`${ruleTool}__`);
}

/** `npm test` exactly, `npm test:*` as a prefix ending at a word, or a wildcard pattern where * is any text. */
function commandMatches(specifier: string, command: string): boolean {
	const normalized = command.trim().replace(/\s+/g, ' ');
	if (specifier.endsWith(':*')) {
		const prefix = specifier.slice(0, -2).trim();
		return normalized === prefix || normalized.startsWith(`${prefix} `);
	}
	if (!specifier.includes('*')) return normalized === specifier.replace(/\s+/g, ' ');
	const pattern = specifier
		.split('*')
		.map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
		.join('.*');
	return new RegExp(`^${pattern}$`, 's').test(normalized);
}

function domainMatches(domain: string, url: string): boolean {
	let host: string;
	try {
		host = new URL(url).hostname.toLowerCase();
	} catch {
		return false;
	}
	const wanted = domain.toLowerCase();
	if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1));
	return host === wanted;
}

/** The file a file tool works on, absolute; a search without a path works in the task's directory. */
function filePathOf(call: ToolCall, cwd: string): string | undefined {
	const input = (call.toolInput ?? {}) as Record<string, unknown>;
	const raw = input['file_path'] ?? input['notebook_path'] ?? input['path'] ?? (call.toolName === 'Glob' || call.toolName === 'Grep' ? cwd : undefined);
	return typeof raw === 'string' && raw !== '' ? path.resolve(cwd, raw) : undefined;
}

/**
 * Gitignore-like, as Claude Code reads them: `//abs` absolute, `~/x` from home, `/x` from the level's base directory,
 * `x` or `./x` from the task's directory; a pattern without a slash matches a name at any depth.
 */
function pathMatches(specifier: string, target: string, context: RuleContext): boolean {
	let pattern: string;
	let base: string;
	if (specifier.startsWith('//')) [base, pattern] = ['/', specifier.slice(2)];
	else if (specifier.startsWith('~/')) [base, pattern] = [context.home, specifier.slice(2)];
	else if (specifier.startsWith('/')) [base, pattern] = [context.baseDir, specifier.slice(1)];
	else if (!specifier.replace(/\/$/, '').includes('/')) return picomatch.isMatch(path.basename(target), specifier.replace(/\/$/, ''), {dot: true});
	else [base, pattern] = [context.cwd, specifier.replace(/^\.\//, '')];
	const relative = path.relative(base, target);
	if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
	// `dir/` and `dir/**` cover everything under dir; `dir` covers dir itself and what is in it.
	const patterns = pattern.endsWith('/') ? [`${pattern}**`] : [pattern, `${pattern}/**`];
	return picomatch.isMatch(relative === '' ? '.' : relative, patterns, {dot: true});
}

/**
 * A shell command split into the simple commands it runs (at &&, ||, ;, |, & and new lines, outside quotes), so that
 * `Bash(npm test:*)` does not let `npm test && rm -rf /` through. `opaque` when the command substitutes other commands
 * ($(…), backquotes, <(…)): those run something no rule was asked about.
 */
export function splitCommand(command: string): {parts: string[]; opaque: boolean} {
	const parts: string[] = [];
	let current = '';
	let quote: '"' | "'" | undefined;
	let opaque = false;
	for (let i = 0; i < command.length; i++) {
		const char = command[i]!;
		if (quote) {
			if (char === quote) quote = undefined;
			else if (quote === '"' && (char === '`' || (char === '$' && command[i + 1] === '('))) opaque = true;
			else if (quote === '"' && char === '\\') {
				current += char + (command[++i] ?? '');
				continue;
			}
			current += char;
			continue;
		}
		if (char === "'" || char === '"') quote = char;
		else if (char === '\\') {
			current += char + (command[++i] ?? '');
			continue;
		} else if (char === '`' || ((char === '$' || char === '<' || char === '>') && command[i + 1] === '(')) opaque = true;
		if (!quote && (char === ';' || char === '\n' || char === '|' || (char === '&' && command[i - 1] !== '>' && command[i + 1] !== '>'))) {
			if (current.trim()) parts.push(current.trim());
			current = '';
			if (command[i + 1] === char) i++;
			continue;
		}
		current += char;
	}
	if (current.trim()) parts.push(current.trim());
	return {parts, opaque};
}
