import {describe, expect, it} from 'vitest';
import {WorkerScreen} from '../../source/adapters/claude/screen.js';
import {detectStartupDialog, isPromptReady} from '../../source/adapters/claude/startup-dialogs.js';

// Screens as claude 2.1.330 draws them (research/claude-cli-samples/tui-*.txt).
const trust = ` Accessing workspace:

 /tmp/ccwork2

 Claude Code'll be able to read, edit, and execute files here.

 ❯ No, exit
   Yes, I trust this folder

 Enter to confirm · Esc to cancel`;
const apiKey = `  Detected a custom API key in your environment

  ANTHROPIC_API_KEY: sk-ant-...1234567890abcdefghij

  Do you want to use this API key?

    Yes
  ❯ No (recommended)

  Enter to confirm · Esc to cancel`;
const bypass = `  WARNING: Claude Code running in Bypass Permissions mode

  ❯ No, exit
    Yes, I accept

  Enter to confirm · Esc to cancel`;
const idle = `────────────────────────────────────────
❯
────────────────────────────────────────
  ⏸ manual mode on · ? for shortcuts`;
const permission = ` Bash command
 echo hi
 Do you want to proceed?
 ❯ 1. Yes
   2. No
 Esc to cancel · Tab to amend
────────────────────────────────────────
❯
────────────────────────────────────────`;

describe('claude screens', () => {
	it('recognises each start-up dialog and nothing else', () => {
		expect(detectStartupDialog(trust)).toBe('trust');
		expect(detectStartupDialog(apiKey)).toBe('api-key');
		expect(detectStartupDialog(bypass)).toBe('bypass-permissions');
		expect(detectStartupDialog(idle)).toBeUndefined();
		expect(detectStartupDialog(permission)).toBeUndefined();
	});

	it('sees the prompt box ready only when no dialog covers it', () => {
		expect(isPromptReady(idle)).toBe(true);
		expect(isPromptReady(trust)).toBe(false);
		expect(isPromptReady(permission)).toBe(false);
	});

	it('renders raw terminal bytes into lines', async () => {
		const screen = new WorkerScreen(40, 5);
		screen.write('hello\r\n\u001B[31mred\u001B[0m\u001B[1;10Hmoved');
		await screen.flush();
		expect(screen.lines()).toEqual(['hello    moved', 'red', '', '', '']);
		screen.dispose();
	});

	it('shows every row at the size it was resized to', async () => {
		const screen = new WorkerScreen(40, 3);
		screen.resize(40, 6);
		screen.write('1\r\n2\r\n3\r\n4\r\n5\r\n6');
		await screen.flush();
		expect(screen.lines()).toEqual(['1', '2', '3', '4', '5', '6']);
		screen.resize(40, 2);
		await screen.flush();
		expect(screen.lines()).toHaveLength(2);
		screen.dispose();
	});
});
