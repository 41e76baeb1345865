import type {OutputLog, OutputRead} from '../../source/core/ports/task-store.js';

export class MemoryOutputLog implements OutputLog {
	readonly #logs = new Map<string, string>();

	append(taskId: string, text: string): void {
		this.#logs.set(taskId, (this.#logs.get(taskId) ?? '') + text);
	}

	read(taskId: string, options?: {tailLines?: number}): OutputRead {
		const text = this.#logs.get(taskId) ?? '';
		const tail = options?.tailLines === undefined ? text : text.split('\n').slice(-options.tailLines).join('\n');
		return {text: tail, bytes: Buffer.byteLength(text), truncated: false};
	}

	closeTask(): void {}

	close(): void {}
}
