import {existsSync, mkdirSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// The web page in a real headless Chromium (Debian's, driven by playwright-core) against a real core serving HTTP,
// with real claude workers on the mock API: a token given in the address, the questions of waiting workers, Approve
// and Deny, a task's live log ending with its result, the new-task form, and a refused token.
// SCREENSHOTS=1 also writes screenshots/web-phone.png: the phone view with real waiting questions.

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../screenshots/web-phone.png', import.meta.url));
/** A phone's viewport (an iPhone 14's CSS pixels). */
const PHONE = {width: 390, height: 844};
/** Real claude workers on a loaded machine: conditions are awaited this long at most. */
const WAIT_MS = 90_000;

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

describe('the web page in headless Chromium', () => {
	let sandbox: Sandbox;
	let browser: Browser;
	let context: BrowserContext | undefined;
	let base: string;
	let token: string;

	beforeAll(async () => {
		if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or point CHROMIUM=/path/to/chrome at one.`);
		sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CCFLEET_MODE: 'headless'});
		base = `http://127.0.0.1:${await freePort()}`;
		await sandbox.startDaemon({CCFLEET_HTTP: new URL(base).host});
		const created = await sandbox.cli(['token', 'create', '--name', 'phone']);
		expect(created.exitCode, created.stderr).toBe(0);
		token = created.stdout.trim();
		expect(token).toMatch(/^ccf_/);
		// launch() starts the browser on a fresh temporary profile of its own, removed when it closes.
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
	}, 120_000);

	let pageErrors: string[] = [];

	afterEach(async () => {
		await context?.close();
		context = undefined;
		const errors = pageErrors;
		pageErrors = [];
		expect(errors, 'errors in the page').toEqual([]);
	});

	afterAll(async () => {
		await browser?.close();
		await sandbox?.cleanup();
	});

	/** A new phone-sized tab with storage of its own; page errors fail the test. */
	async function openPhone(hash: string): Promise<Page> {
		context = await browser.newContext({viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light'});
		const page = await context.newPage();
		page.on('pageerror', error => pageErrors.push(error.message));
		// A refused request is logged by Chromium itself ("Failed to load resource: … 401"); the page shows those.
		page.on('console', message => {
			if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
		});
		await page.goto(`${base}/${hash}`);
		return page;
	}

	/** The directive on a line of its own: the page shows a prompt's first line, as a person would have written it. */
	const delegateWaiting = async (prompt: string, command: string) => {
		const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--permission-mode', 'default', `${prompt}\n[[tool:bash:${command}]]`]);
		expect(exitCode, stderr).toBe(0);
		return stdout.trim().split(/\s+/)[0]!;
	};

	it('shows the questions of waiting workers; Approve runs the tool, Deny refuses it, and both tasks complete', async () => {
		const page = await openPhone(`#token=${token}`);
		// The token leaves the address bar (and the history) and stays in this browser.
		await expect.poll(() => page.url()).toBe(`${base}/`);
		expect(await page.evaluate(() => localStorage.getItem('ccfleet.token'))).toBe(token);
		await expect.poll(() => page.locator('#connection').textContent(), {timeout: WAIT_MS}).toBe('live');

		// The workers start after the page opened: their questions reach it through /events alone.
		mkdirSync(path.join(sandbox.project, 'build-cache'));
		const approved = await delegateWaiting('Prepare the release folder for v2.4 and note what goes in it', 'mkdir -p release/v2.4');
		const denied = await delegateWaiting('Free some disk space in this checkout', 'rm -rf build-cache');

		const approveCard = page.locator(`#questions .card[data-task-id="${approved}"]`);
		const denyCard = page.locator(`#questions .card[data-task-id="${denied}"]`);
		await approveCard.waitFor({timeout: WAIT_MS});
		await denyCard.waitFor({timeout: WAIT_MS});
		await expect.poll(() => approveCard.locator('.tool-input').textContent()).toBe('mkdir -p release/v2.4');
		expect(await approveCard.locator('.cwd').textContent()).toBe(sandbox.project);
		expect(await approveCard.locator('.question').textContent()).toBe('Allow Bash to run:');
		await expect.poll(() => page.locator('#count-waiting').textContent(), {timeout: WAIT_MS}).toBe('2');
		if (process.env['SCREENSHOTS']) {
			mkdirSync(path.dirname(SCREENSHOT), {recursive: true});
			await page.screenshot({path: SCREENSHOT});
		}

		await approveCard.getByRole('button', {name: 'Approve'}).tap();
		await approveCard.waitFor({state: 'detached', timeout: WAIT_MS});
		await denyCard.getByRole('button', {name: 'Deny…'}).tap();
		await denyCard.getByRole('textbox').fill('Keep the cache: the nightly build needs it.');
		await denyCard.getByRole('button', {name: 'Send deny'}).tap();
		await denyCard.waitFor({state: 'detached', timeout: WAIT_MS});

		for (const id of [approved, denied]) await page.locator(`#tasks .task[data-task-id="${id}"][data-status="completed"]`).waitFor({timeout: WAIT_MS});
		expect(existsSync(path.join(sandbox.project, 'release/v2.4'))).toBe(true);
		expect(existsSync(path.join(sandbox.project, 'build-cache'))).toBe(true);
		await expect.poll(() => page.locator('#questions-empty').isVisible()).toBe(true);

		// Tapping the task opens its log, which ends with its result.
		await page.locator(`#tasks .task[data-task-id="${approved}"]`).tap();
		await page.locator('#task-result').waitFor({timeout: WAIT_MS});
		expect(page.url()).toBe(`${base}/#task=${approved}`);
		expect(await page.locator('#task-status').textContent()).toBe('done');
		await expect.poll(() => page.locator('#task-log').textContent(), {timeout: WAIT_MS}).toContain('mkdir -p release/v2.4');
		expect(await page.locator('#task-result-text').textContent()).not.toBe('');
		await page.locator('#back').tap();
		await page.locator('#fleet-view').waitFor();
	}, 240_000);

	it("follows a task's log live: answered on its own view, it goes on and ends with its result; a read-only token sees the refusal", async () => {
		// Longer than the views the streams carry (2,000 characters): the task's own view shows it whole.
		const notes = `Record the version of npm for the build notes.\n${'The build notes list every tool and its version. '.repeat(45)}`;
		const id = await delegateWaiting(notes, 'npm --version');
		const created = await sandbox.cli(['token', 'create', '--name', 'watcher', '--read-only']);
		expect(created.exitCode, created.stderr).toBe(0);

		let page = await openPhone(`#token=${created.stdout.trim()}`);
		const card = page.locator(`#questions .card[data-task-id="${id}"]`);
		await card.waitFor({timeout: WAIT_MS});
		await card.getByRole('button', {name: 'Approve'}).tap();
		await expect.poll(() => card.locator('.error').textContent()).toContain('is read-only');
		expect(await card.getByRole('button', {name: 'Approve'}).isEnabled()).toBe(true);
		await context!.close();

		page = await openPhone(`#token=${token}`);
		await page.locator(`#tasks .task[data-task-id="${id}"][data-status="needs_input"]`).tap();
		await expect.poll(() => page.locator('#task-log').textContent(), {timeout: WAIT_MS}).toContain('permission needed: Bash(npm --version)');
		expect(await page.locator('#task-status').textContent()).toBe('waiting');
		await expect.poll(() => page.locator('#task-prompt').textContent()).toBe(`${notes}\n[[tool:bash:npm --version]]`);
		const question = page.locator('#task-question .card');
		expect(await question.locator('.tool-input').textContent()).toBe('npm --version');
		await question.getByRole('button', {name: 'Approve'}).tap();
		// What the worker does after the answer arrives on the open stream: the same view, never reloaded.
		await expect.poll(() => page.locator('#task-log').textContent(), {timeout: WAIT_MS}).toContain('by a person');
		await page.locator('#task-result').waitFor({timeout: WAIT_MS});
		expect(await page.locator('#task-status').textContent()).toBe('done');
		expect(await page.locator('#task-cancel').isVisible()).toBe(false);
		expect(page.url()).toBe(`${base}/#task=${id}`);
	}, 240_000);

	it('starts tasks from the form (a refused one shows the server error), shows one to its result and cancels another from its view', async () => {
		const page = await openPhone(`#token=${token}`);
		await page.locator('#fleet-view').waitFor();

		await page.locator('#new-prompt').fill('Say hello [[reply:hello from the page]]');
		await page.locator('#new-cwd').fill('not/absolute');
		await page.getByRole('button', {name: 'Start task'}).tap();
		await page.locator('#new-task-error').waitFor();
		expect(await page.locator('#new-task-error').textContent()).toMatch(/cwd|directory|absolute/i);

		await page.locator('#new-cwd').fill(sandbox.project);
		await page.getByRole('button', {name: 'Start task'}).tap();
		await page.locator('#new-task-done').waitFor();
		const id = /Started task (\S+)/.exec((await page.locator('#new-task-done').textContent()) ?? '')?.[1];
		expect(id).toBeTruthy();
		expect(await page.locator('#new-task-error').isVisible()).toBe(false);
		await page.locator(`#tasks .task[data-task-id="${id}"][data-status="completed"]`).waitFor({timeout: WAIT_MS});
		expect(await page.locator(`#tasks .task[data-task-id="${id}"] .prompt`).textContent()).toContain('Say hello');

		await page.locator(`#tasks .task[data-task-id="${id}"]`).tap();
		await expect.poll(() => page.locator('#task-result-text').textContent(), {timeout: WAIT_MS}).toContain('hello from the page');

		// A slow one, cancelled from its own view once the question "Cancel task …?" is confirmed.
		await page.locator('#back').tap();
		await page.locator('#new-prompt').fill('Take your time [[slow:120000]]');
		await page.locator('#new-priority').selectOption('P0');
		await page.getByRole('button', {name: 'Start task'}).tap();
		await expect.poll(() => page.locator('#new-task-done').textContent()).not.toContain(id);
		const slow = /Started task (\S+)/.exec((await page.locator('#new-task-done').textContent()) ?? '')?.[1];
		await page.locator(`#tasks .task[data-task-id="${slow}"]`).tap();
		const asked: string[] = [];
		page.once('dialog', dialog => {
			asked.push(dialog.message());
			void dialog.accept();
		});
		await page.getByRole('button', {name: 'Cancel task'}).tap();
		await expect.poll(() => page.locator('#task-status').textContent(), {timeout: WAIT_MS}).toBe('cancelled');
		expect(asked).toEqual([`Cancel task ${slow}? Its worker is stopped.`]);
		expect(await page.locator('#task-result-title').textContent()).toBe('Task cancelled');
		expect(await page.locator('#task-cancel').isVisible()).toBe(false);
		expect(JSON.parse((await sandbox.cli(['status', slow!, '--json'])).stdout)).toMatchObject({status: 'cancelled', priority: 'P0'});
	}, 240_000);

	it('a refused token brings back the token form with the error; a good one entered there opens the fleet', async () => {
		const page = await openPhone('#token=not-a-token');
		await page.locator('#token-view').waitFor();
		expect(await page.locator('#token-message').textContent()).toMatch(/^The server refused this token: \S.*\.$/);
		// The server's advice on headers is for scripts; the form's own hint says how to make a token.
		expect(await page.locator('#token-message').textContent()).not.toContain('Authorization');
		expect(await page.locator('#fleet-view').isVisible()).toBe(false);
		expect(await page.evaluate(() => localStorage.getItem('ccfleet.token'))).toBeNull();

		await page.locator('#token-input').fill(token);
		await page.getByRole('button', {name: 'Connect'}).tap();
		await page.locator('#fleet-view').waitFor();
		await expect.poll(() => page.locator('#connection').textContent(), {timeout: WAIT_MS}).toBe('live');
		expect(await page.locator('#token-view').isVisible()).toBe(false);
	});

	it('serves the page and its files with their types, a strict Content-Security-Policy and revalidation, without a token', async () => {
		const page = await fetch(`${base}/`);
		expect(page.status).toBe(200);
		expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
		expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
		expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
		expect(page.headers.get('cache-control')).toBe('no-cache');
		const etag = page.headers.get('etag')!;
		expect((await fetch(`${base}/`, {headers: {'If-None-Match': etag}})).status).toBe(304);
		const script = await fetch(`${base}/assets/app.js`);
		expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
		expect(await script.text()).toContain('followFleet');
		expect((await fetch(`${base}/assets/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
		const missing = await fetch(`${base}/assets/..%2Fpackage.json`);
		expect(missing.status).toBe(404);
		expect(((await missing.json()) as {error: string}).error).toContain('No page asset');
		expect((await fetch(`${base}/fleet`)).status).toBe(401);
	});
});
