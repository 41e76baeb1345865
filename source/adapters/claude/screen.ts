import xterm from '@xterm/headless';

const {Terminal} = xterm;

/** A worker's screen, rendered by a headless terminal from the raw pty bytes. */
export class WorkerScreen {
	readonly #terminal: InstanceType<typeof Terminal>;

	constructor(columns: number, rows: number) {
		this.#terminal = new Terminal({cols: columns, rows, allowProposedApi: true, scrollback: 0});
	}

	write(data: string): void {
		this.#terminal.write(data);
	}

	/** Resolves once everything written so far is rendered. */
	async flush(): Promise<void> {
		await new Promise<void>(resolve => this.#terminal.write('', resolve));
	}

	/** The visible rows at the terminal's current size. */
	lines(): string[] {
		const buffer = this.#terminal.buffer.active;
		const lines: string[] = [];
		for (let i = 0; i < this.#terminal.rows; i++) lines.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
		return lines;
	}

	text(): string {
		return this.lines().join('\n');
	}

	resize(columns: number, rows: number): void {
		this.#terminal.resize(columns, rows);
	}

	dispose(): void {
		this.#terminal.dispose();
	}
}
