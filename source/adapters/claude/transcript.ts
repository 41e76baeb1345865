import {existsSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {TokenUsage} from '../../core/domain/task.js';
import type {WorkerUsage} from '../../core/ports/worker-driver.js';

/** Where claude keeps its config and transcripts for this environment. */
export function claudeConfigDir(env: NodeJS.ProcessEnv): string {
	return env.CLAUDE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.claude');
}

/** Longer folder names are cut by claude and given a hash suffix. */
const MAX_PROJECT_NAME = 200;

/** Java's String.hashCode, which claude uses for the suffix of long project folder names. */
function javaHash(text: string): number {
	let hash = 0;
	for (let i = 0; i < text.length; i++) hash = ((hash << 5) - hash + text.charCodeAt(i)) | 0;
	return hash;
}

/**
 * claude names a project's folder after its cwd with every UTF-16 unit other than a letter or digit as `-`;
 * past 200 characters it keeps the first 200 and adds `-<hash of the cwd in base 36>` (read from the 2.1.330 binary).
 */
export function projectFolderName(cwd: string): string {
	const name = cwd.replace(/[^a-zA-Z0-9]/g, '-');
	return name.length <= MAX_PROJECT_NAME ? name : `${name.slice(0, MAX_PROJECT_NAME)}-${Math.abs(javaHash(cwd)).toString(36)}`;
}

export function transcriptPath(configDir: string, cwd: string, sessionId: string): string {
	return path.join(configDir, 'projects', projectFolderName(cwd), `${sessionId}.jsonl`);
}

export function hasTranscript(configDir: string, cwd: string, sessionId: string): boolean {
	return existsSync(transcriptPath(configDir, cwd, sessionId));
}

/** USD per million tokens, from Anthropic's public price list; an estimate, since the TUI does not report cost. */
type Price = {input: number; output: number};
const PRICES: [RegExp, Price][] = [
	[/opus-4-[01]|opus-4-2025|claude-3-opus/, {input: 15, output: 75}],
	[/opus/, {input: 5, output: 25}],
	[/haiku-3-5|3-5-haiku/, {input: 0.8, output: 4}],
	[/haiku/, {input: 1, output: 5}],
	[/sonnet|.*/, {input: 3, output: 15}],
];

function priceOf(model: string): Price {
	return PRICES.find(([pattern]) => pattern.test(model))![1];
}

/** Cache reads cost a tenth of input; cache writes (5-minute) a quarter more than input. */
export function costOf(model: string, tokens: TokenUsage): number {
	const price = priceOf(model);
	const inputCost = tokens.input + tokens.cacheRead * 0.1 + tokens.cacheCreation * 1.25;
	return (inputCost * price.input + tokens.output * price.output) / 1_000_000;
}

type UsageRecord = {
	input_tokens?: number;
	output_tokens?: number;
	cache_read_input_tokens?: number;
	cache_creation_input_tokens?: number;
};

/**
 * Sums tokens and estimated cost over a transcript. One API message can appear on several lines (one per
 * content block) carrying the same usage, so each message id counts once, with its last usage.
 */
export function usageFromTranscript(text: string): WorkerUsage {
	const byMessage = new Map<string, {model: string; usage: UsageRecord}>();
	let anonymous = 0;
	for (const line of text.split('\n')) {
		if (!line.includes('"usage"')) continue;
		let entry: {type?: string; message?: {id?: string; model?: string; usage?: UsageRecord}};
		try {
			entry = JSON.parse(line) as typeof entry;
		} catch {
			continue; // the last line may be half written
		}
		const message = entry.message;
		if (entry.type !== 'assistant' || !message?.usage || message.model === '<synthetic>') continue;
		byMessage.set(message.id ?? `anonymous-${anonymous++}`, {model: message.model ?? '', usage: message.usage});
	}
	const tokens: TokenUsage = {input: 0, output: 0, cacheRead: 0, cacheCreation: 0};
	let costUsd = 0;
	for (const {model, usage} of byMessage.values()) {
		const one: TokenUsage = {
			input: usage.input_tokens ?? 0,
			output: usage.output_tokens ?? 0,
			cacheRead: usage.cache_read_input_tokens ?? 0,
			cacheCreation: usage.cache_creation_input_tokens ?? 0,
		};
		tokens.input += one.input;
		tokens.output += one.output;
		tokens.cacheRead += one.cacheRead;
		tokens.cacheCreation += one.cacheCreation;
		costUsd += costOf(model, one);
	}
	return {costUsd, tokens};
}

export function readTranscriptUsage(file: string): WorkerUsage | undefined {
	try {
		return usageFromTranscript(readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
}
