/** What the CLI prints while it waits; a TTY gets one line rewritten in place. */
export type Progress = {update(text: string): void; done(): void};

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
	let shown = false;
	return {
		update(text) {
			if (!stream.isTTY) return;
			stream.write(`\r\u001B[2K${text}`);
			shown = true;
		},
		done() {
			if (shown) stream.write('\r\u001B[2K');
			shown = false;
		},
	};
}
