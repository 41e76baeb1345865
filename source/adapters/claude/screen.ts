import xterm from '@xterm/headless';

const {Terminal} = xterm;

/** A worker's screen, rendered by a headless terminal from the raw pty bytes. */
export class WorkerScreen {
	readonly #terminal: InstanceType<typeof Terminal>;

	constructor(
		readonly columns: number,
		readonly rows: number,
	) {
		this.#terminal = new Terminal({cols: columns, rows, allowProposedApi: true, scrollback: 0});
	}

	write(data: string): void {
		this.#terminal.write(data);
	}

	/** Resolves once everything written so far is rendered. */
	async flush(): Promise<void> {
		await new Promise<void>(resolve => this.#terminal.write('', resolve));
	}

	lines(): string[] {
		const buffer = this.#terminal.buffer.active;
		const lines: string[] = [];
		for (let i = 0; i < this.rows; i++) lines.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
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

/** A blocking dialog claude shows before its first turn; hooks cannot see these, only the screen can. */
export type StartupDialog = 'trust' | 'api-key' | 'bypass-permissions';

/** Recognises a start-up dialog on the screen (claude 2.1.330's wording; re-check when claude is bumped). */
export function detectStartupDialog(screen: string): StartupDialog | undefined {
	if (!/Enter to confirm/.test(screen)) return undefined;
	if (/Yes, I trust this folder/.test(screen)) return 'trust';
	if (/Detected a custom API key|Do you want to use this API key\?/.test(screen)) return 'api-key';
	if (/Bypass Permissions mode/.test(screen) && /Yes, I accept/.test(screen)) return 'bypass-permissions';
	return undefined;
}

/** The input box is shown and no dialog covers it: the TUI is ready for a prompt. */
export function isPromptReady(screen: string): boolean {
	return /^❯(\s|$)/m.test(screen) && !/Enter to confirm|Esc to cancel/.test(screen) && /^─{10,}/m.test(screen);
}
