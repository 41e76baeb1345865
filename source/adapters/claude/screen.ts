import xterm from '@xterm/headless';

const {Terminal} = xterm;

/** A worker's screen, rendered by a headless terminal from the raw pty bytes. */
export class WorkerScreen {
	readonly #terminal: InstanceType<typeof Terminal>;
	#left: string[] = [];

	constructor(columns: number, rows: number) {
		this.#terminal = new Terminal({cols: columns, rows, allowProposedApi: true, scrollback: 0});
		// claude's TUI draws on the alternate screen and leaves it as it exits, which takes with it what it showed last:
		// often why it stopped. That is kept. Returning false lets the terminal carry on as usual.
		this.#terminal.parser.registerCsiHandler({prefix: '?', final: 'l'}, params => {
			if (params.some(param => param === 1049 || param === 1047 || param === 47)) this.#keepBeforeLeaving();
			return false;
		});
	}

	/** The non-blank rows the alternate screen showed just before the program last left it. */
	left(): string[] {
		return this.#left;
	}

	#keepBeforeLeaving(): void {
		const shown = this.lines().filter(line => line.trim());
		if (shown.length > 0) this.#left = shown;
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
