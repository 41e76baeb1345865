import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {WorkerScreen} from '../../source/adapters/claude/screen.js';
import {connectToSocket} from '../../source/mcp/socket-server.js';
import type {TaskView} from '../../source/protocol/views.js';
import {toolDoneReply} from '../fixtures/mock-anthropic-api.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Attaching to a real worker's own claude screen: its output comes through, keys go straight to it.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function status(id: string): Promise<TaskView> {
	return JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;
}

async function waitingTask(command: string): Promise<string> {
	const {stdout} = await sandbox.cli(['delegate', '--json', '--permission-mode', 'default', `Run it [[tool:bash:${command}]]`]);
	const id = (JSON.parse(stdout) as TaskView).id;
	await waitFor('needs_input', async () => (await status(id)).status === 'needs_input', 60_000);
	return id;
}

describe('attach', () => {
	it("shows the worker's own screen and answers its permission dialog with a key typed through", async () => {
		const id = await waitingTask('echo attached-yes > attached.txt');
		const socket = await connectToSocket(path.join(sandbox.home, 'run', 'attach.sock'));
		let received = '';
		// What the client gets is raw terminal output, drawn with cursor moves: render it as a terminal would.
		const screen = new WorkerScreen(100, 30);
		socket.on('data', (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			screen.write(received === '' ? text.slice(text.indexOf('\n') + 1) : text);
			received += text;
		});
		socket.write(`${JSON.stringify({attach: id, columns: 100, rows: 30})}\n`);
		await waitFor(
			'the redrawn permission dialog',
			async () => {
				await screen.flush();
				return received.startsWith('{"ok":true}\n') && screen.text().includes('Do you want to proceed?');
			},
			20_000,
		);
		// Enter picks the highlighted "1. Yes", as a person at the worker's screen would.
		socket.write(`${JSON.stringify({input: '\r'})}\n`);
		await waitFor('the task to complete', async () => (await status(id)).status === 'completed', 60_000);
		expect((await status(id)).result).toBe(toolDoneReply);
		await waitFor('the attachment to end with the task', () => socket.destroyed || socket.readableEnded, 10_000);
	});

	it('refuses to attach to a task without a live terminal, saying why', async () => {
		const {stdout} = await sandbox.cli(['delegate', '--json', '--mode', 'headless', 'Quiet [[slow:20000]]']);
		const id = (JSON.parse(stdout) as TaskView).id;
		await waitFor('running', async () => (await status(id)).status === 'running', 60_000);
		const refused = await sandbox.cli(['attach', id]);
		expect(refused.exitCode).toBe(1);
		expect(refused.stderr).toContain('runs headless (claude -p), which has no terminal to attach to');
		await sandbox.cli(['cancel', id]);
		const unknown = await sandbox.cli(['attach', 'nope1234']);
		expect(unknown.stderr).toContain('No task with id "nope1234"');
	});

	it('works from a real terminal: ccfleet attach in tmux, Ctrl-] detaches and the worker goes on', async () => {
		const id = await waitingTask('echo tmux-attach > tmux.txt');
		const server = `ccfleet-attach-${process.pid}`;
		const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], {encoding: 'utf8'});
		const env = Object.entries(sandbox.env)
			.map(([key, value]) => `${key}=${JSON.stringify(value)}`)
			.join(' ');
		tmux('new-session', '-d', '-s', 'a', '-x', '110', '-y', '32', `cd ${sandbox.project} && env ${env} ${process.execPath} ${binPath} attach ${id}; sleep 30`);
		try {
			await waitFor('the dialog in tmux', () => tmux('capture-pane', '-p', '-t', 'a').includes('Do you want to proceed?'), 20_000);
			tmux('send-keys', '-t', 'a', 'C-]');
			await waitFor('the detach message', () => tmux('capture-pane', '-p', '-t', 'a').includes(`detached from ${id}; it goes on running`), 10_000);
			expect((await status(id)).status).toBe('needs_input');
		} finally {
			tmux('kill-server');
		}
		await sandbox.cli(['respond', id, 'deny']);
	});
});
