import type {WorkerSpec} from '../../core/ports/worker-driver.js';

/** Prompts up to this size can go on the command line: Linux caps one argument at 128 KiB (MAX_ARG_STRLEN). */
const ARGV_PROMPT_MAX_BYTES = 100 * 1024;

export function fitsInArgv(prompt: string): boolean {
	return Buffer.byteLength(prompt) <= ARGV_PROMPT_MAX_BYTES;
}

type ArgsExtra = {
	/** claude's `--settings` (the pty driver's hooks). */
	settings?: object;
	/** The prompt as the last argument; leave it out when the prompt goes in another way (stdin, a paste). */
	prompt?: string;
};

/**
 * The arguments both drivers give claude for a worker's conversation: which session, started fresh or resumed,
 * the permission mode, model and system prompt. An array for execve, never a shell line.
 */
export function claudeArgs(spec: WorkerSpec, extra: ArgsExtra = {}): string[] {
	return [
		// A fresh conversation is started under the task's own id so its transcript path is known before launch.
		spec.resume ? '--resume' : '--session-id',
		spec.sessionId,
		'--permission-mode',
		spec.permissionMode,
		...(spec.model ? ['--model', spec.model] : []),
		...(spec.systemPrompt ? ['--append-system-prompt', spec.systemPrompt] : []),
		// Print mode only: the TUI has no such flag, so the fleet stops a pty worker over its budget itself.
		...(spec.mode === 'headless' && spec.maxBudgetUsd !== undefined ? ['--max-budget-usd', String(spec.maxBudgetUsd)] : []),
		...(extra.settings ? ['--settings', JSON.stringify(extra.settings)] : []),
		// `--` keeps a prompt that starts with a dash from being read as a flag.
		...(extra.prompt === undefined ? [] : ['--', extra.prompt]),
	];
}
