/** The last lines of a worker's output, bounded, for screens that show it live. */
export class OutputTail {
	readonly #lines: string[] = [];
	#partial = '';

	constructor(readonly maxLines: number) {}

	append(text: string): void {
		const parts = (this.#partial + text).split('\n');
		this.#partial = parts.pop() ?? '';
		this.#lines.push(...parts);
		if (this.#lines.length > this.maxLines) this.#lines.splice(0, this.#lines.length - this.maxLines);
	}

	lines(count = this.maxLines): string[] {
		const all = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
		return all.slice(-count);
	}
}
