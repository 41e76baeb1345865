import {statSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {ConfigError, parseDuration, parseSize, parseUsd} from '../config.js';
import {FleetError} from '../core/domain/errors.js';
import {checkTaskSpec} from '../core/domain/task-input.js';
import {taskSpecShape, type TaskSpec, type TaskSpecField} from '../core/domain/task-spec.js';
import {CliError} from './client.js';

/** How a flag's text becomes the spec's value. */
type FlagKind = 'text' | 'choice' | 'list' | 'rules' | 'duration' | 'size' | 'usd' | 'number';

/** One command-line flag for one field of the task spec. */
export type TaskFlag = {
	field: TaskSpecField;
	/** meow's name for it (camelCase; written kebab-case on the command line). */
	name: string;
	kind: FlagKind;
	choices?: readonly string[];
	description: string;
};

type MeowFlag = {type: 'string' | 'boolean' | 'number'; shortFlag?: string; isMultiple?: boolean; default?: unknown};

/** The prompt comes from words, --file or stdin; the directory defaults to here and may be relative. */
const NOT_FLAGS = new Set<TaskSpecField>(['prompt']);
const SHORT_FLAGS: Partial<Record<TaskSpecField, string>> = {priority: 'p'};
/** Said differently on a command line than to a model. */
const CLI_DESCRIPTIONS: Partial<Record<TaskSpecField, string>> = {
	cwd: 'directory the worker runs in (default: here)',
	// The model counts these in milliseconds and bytes; a command line takes units (KIND_NOTES).
	timeoutMs: 'How long the task may run before it fails; default TASK_TIMEOUT (30 minutes).',
	maxOutputBytes: "Cap of the task's log; default MAX_OUTPUT_BUFFER (10 MB).",
};

function unwrap(schema: z.ZodType): z.ZodType {
	return schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema;
}

/**
 * Every spec field but the prompt as a flag. A field counted in milliseconds (`timeoutMs`) is given as a duration
 * (`--timeout 30m`), one in bytes (`maxOutputBytes`) as a size (`--max-output 5MB`), one in dollars (`maxBudgetUsd`)
 * as an amount that may start with `$` and keeps its unit in the name, as claude's own `--max-budget-usd` does; a list
 * may be comma-separated or repeated.
 */
export const TASK_FLAGS: readonly TaskFlag[] = (Object.entries(taskSpecShape) as [TaskSpecField, z.ZodType][])
	.filter(([field]) => !NOT_FLAGS.has(field))
	.map(([field, schema]) => {
		const inner = unwrap(schema);
		const description = CLI_DESCRIPTIONS[field] ?? schema.description ?? '';
		if (field.endsWith('Ms')) return {field, name: field.slice(0, -2), kind: 'duration', description};
		if (field.endsWith('Bytes')) return {field, name: field.slice(0, -5), kind: 'size', description};
		if (field.endsWith('Usd')) return {field, name: field, kind: 'usd', description};
		if (inner instanceof z.ZodEnum) return {field, name: field, kind: 'choice', choices: inner.options as string[], description};
		// A permission rule may hold a comma (Edit(src/{a,b}/**)): rules are given one per flag.
		if (inner instanceof z.ZodArray) return {field, name: field, kind: field === 'allow' || field === 'deny' ? 'rules' : 'list', description};
		if (inner instanceof z.ZodNumber) return {field, name: field, kind: 'number', description};
		return {field, name: field, kind: 'text', description};
	});

const kebab = (name: string) => name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);

/** The flags for meow. */
export function taskMeowFlags(): Record<string, MeowFlag> {
	return Object.fromEntries(
		TASK_FLAGS.map(flag => [
			flag.name,
			{
				type: 'string',
				...(SHORT_FLAGS[flag.field] ? {shortFlag: SHORT_FLAGS[flag.field]} : {}),
				...(flag.kind === 'list' || flag.kind === 'rules' ? {isMultiple: true} : {}),
			},
		]),
	);
}

function placeholder(flag: TaskFlag): string {
	switch (flag.kind) {
		case 'choice':
			return `<${flag.choices!.join('|')}>`;
		case 'list':
			return '<ids>';
		case 'rules':
			return '<rule>';
		case 'duration':
			return '<duration>';
		case 'size':
			return '<size>';
		case 'usd':
			return '<usd>';
		case 'number':
			return '<n>';
		case 'text':
			return TEXT_PLACEHOLDERS[flag.field] ?? '<text>';
	}
}

const TEXT_PLACEHOLDERS: Partial<Record<TaskSpecField, string>> = {cwd: '<dir>', continueFrom: '<id>', model: '<name>'};

/** On a command line, durations and sizes take units. */
const KIND_NOTES: Partial<Record<FlagKind, string>> = {
	duration: 'Give a duration: 90s, 30m, 2h.',
	size: 'Give a size: 512KB, 10MB.',
	usd: 'Give an amount in USD: 0.50, 2, $5.',
	list: 'Comma-separated, or repeat the flag.',
	rules: "Claude Code's permission-rule syntax; repeat the flag for more.",
};

/** The options part of a command's help, one flag each, its description wrapped under it. */
export function taskFlagsHelp(width = 100): string {
	const indent = ' '.repeat(6);
	return TASK_FLAGS.map(flag => {
		const short = SHORT_FLAGS[flag.field] ? `, -${SHORT_FLAGS[flag.field]}` : '';
		const words = [flag.description, KIND_NOTES[flag.kind] ?? ''].join(' ').split(/\s+/).filter(Boolean);
		const lines: string[] = [];
		let line = indent;
		for (const word of words) {
			if (line.length + word.length + 1 > width && line.trim()) {
				lines.push(line);
				line = indent;
			}
			line += (line.trim() ? ' ' : '') + word;
		}
		if (line.trim()) lines.push(line);
		return [`    --${kebab(flag.name)}${short} ${placeholder(flag)}`, ...lines].join('\n');
	}).join('\n');
}

/** Reads one flag's text as its spec value; throws CliError naming the flag and what it accepts. */
function valueOf(flag: TaskFlag, raw: unknown): unknown {
	const option = `--${kebab(flag.name)}`;
	try {
		switch (flag.kind) {
			case 'duration':
				return parseDuration(String(raw), option);
			case 'size':
				return parseSize(String(raw), option);
			case 'usd':
				return parseUsd(String(raw), option);
			case 'number': {
				const value = Number(raw);
				if (!Number.isFinite(value)) throw new CliError(`${option} is "${String(raw)}"; give a number.`);
				return value;
			}
			case 'rules':
				return (Array.isArray(raw) ? raw : [raw]).map(value => String(value).trim()).filter(Boolean);
			case 'list':
				return (Array.isArray(raw) ? raw : [raw])
					.flatMap(value => String(value).split(','))
					.map(value => value.trim())
					.filter(Boolean);
			case 'choice': {
				const text = String(raw);
				const match = flag.choices!.find(choice => choice.toLowerCase() === text.toLowerCase());
				if (!match) throw new CliError(`${option} ${text} is not one of ${flag.choices!.join(', ')}.`);
				return match;
			}
			case 'text':
				return String(raw);
		}
	} catch (error) {
		if (error instanceof ConfigError) throw new CliError(error.message);
		throw error;
	}
}

/** The directory a task runs in: the flag's (relative to here) or here; it must exist. */
function taskDirectory(cwd: unknown): string {
	const resolved = path.resolve(typeof cwd === 'string' ? cwd : process.cwd());
	try {
		if (!statSync(resolved).isDirectory()) throw new Error('not a directory');
	} catch {
		throw new CliError(`--cwd ${resolved} is not an existing directory. Give the directory the worker should run in.`);
	}
	return resolved;
}

/** The task's settings from the command's flags (all but the prompt), checked here so that a typo fails before anything is sent. */
export function settingsFromFlags(flags: Record<string, unknown>): Omit<TaskSpec, 'prompt'> {
	const settings: Record<string, unknown> = {cwd: taskDirectory(flags['cwd'])};
	for (const flag of TASK_FLAGS) {
		const raw = flags[flag.name];
		if (flag.field === 'cwd' || raw === undefined || (Array.isArray(raw) && raw.length === 0)) continue;
		settings[flag.field] = valueOf(flag, raw);
	}
	return settings as Omit<TaskSpec, 'prompt'>;
}

/** A whole spec from the flags and the prompt; throws CliError with the first thing that is wrong. */
export function specFromFlags(flags: Record<string, unknown>, prompt: string): TaskSpec {
	try {
		return checkTaskSpec({prompt, ...settingsFromFlags(flags)});
	} catch (error) {
		if (error instanceof FleetError) throw new CliError(error.message);
		throw error;
	}
}
