import type {Readable, Writable} from 'node:stream';
import {waitFor} from '../helpers/wait-for.js';

export type Answer = {
	id?: unknown;
	result?: {isError?: boolean; content?: {type: string; text?: string}[]; structuredContent?: Record<string, unknown>};
	error?: {code: number; message: string};
};

/**
 * A JSON-RPC peer that writes raw bytes and reads newline-delimited answers, with no SDK in between: it sees exactly
 * what a careless client would, including answers to lines that were not messages at all.
 */
export class RawRpc {
	readonly answers: Answer[] = [];
	readonly unparsable: string[] = [];
	#pending = '';
	readonly #output: Writable;

	constructor(input: Readable, output: Writable) {
		this.#output = output;
		input.setEncoding('utf8');
		input.on('data', (chunk: string) => {
			this.#pending += chunk;
			let newline = this.#pending.indexOf('\n');
			while (newline !== -1) {
				const line = this.#pending.slice(0, newline);
				this.#pending = this.#pending.slice(newline + 1);
				try {
					this.answers.push(JSON.parse(line) as Answer);
				} catch {
					this.unparsable.push(line);
				}
				newline = this.#pending.indexOf('\n');
			}
		});
	}

	write(raw: string | Buffer): void {
		this.#output.write(raw);
	}

	send(message: Record<string, unknown>): void {
		this.write(`${JSON.stringify(message)}\n`);
	}

	answerTo(id: number): Answer | undefined {
		return this.answers.find(answer => answer.id === id);
	}

	async request(message: Record<string, unknown> & {id: number}, timeoutMs = 20_000): Promise<Answer> {
		this.send(message);
		return waitFor(`an answer to request ${message.id}`, () => this.answerTo(message.id), timeoutMs, 5);
	}

	async initialize(): Promise<void> {
		await this.request({
			jsonrpc: '2.0',
			id: 0,
			method: 'initialize',
			params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'bad-input', version: '0'}},
		});
		this.send({jsonrpc: '2.0', method: 'notifications/initialized'});
	}
}

/** What a zod or SDK dump looks like, as opposed to a sentence: a JSON list or object, or zod's issue vocabulary. */
function isDump(text: string): boolean {
	return /^\s*[[{]/.test(text) || /"code":\s*"invalid_/.test(text) || /\n\s+"path"/.test(text);
}

/**
 * Whether an answer refuses clearly: a JSON-RPC error with a standard code and a one-sentence message, or a tool
 * result marked isError whose text is a sentence. Neither is a raw schema dump or a stack trace.
 */
export function isClearRefusal(answer: Answer): boolean {
	const text = answer.error ? answer.error.message : answer.result?.isError ? (answer.result.content?.[0]?.text ?? '') : undefined;
	if (text === undefined) return false;
	if (answer.error && ![-32700, -32600, -32601, -32602].includes(answer.error.code)) return false;
	return text.length >= 15 && text.length <= 2000 && !isDump(text) && !/\n\s+at /.test(text);
}

export const isRefusal = (answer: Answer) => answer.error !== undefined || answer.result?.isError === true;
