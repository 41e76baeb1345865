import type {PermissionMode} from '../../core/domain/task.js';
import type {WorkerScreen} from './screen.js';

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

/** Output settles this long before the screen is read, so a dialog is read whole. */
const SCREEN_CHECK_MS = 60;
/**
 * Each of these dialogs defaults to the refusing choice: move to the accepting one, then confirm. The TUI drops
 * keys that arrive in one burst, so they are typed one at a time.
 */
const DIALOG_KEYS: Record<StartupDialog, string[]> = {
	trust: ['\u001B[B', '\r'],
	'api-key': ['\u001B[A', '\r'],
	'bypass-permissions': ['\u001B[B', '\r'],
};
const KEY_GAP_MS = 200;
/** Enter goes apart from the paste, since the TUI drops keys that arrive in one burst with others. */
const PASTE_SUBMIT_DELAY_MS = 300;

/** Which dialogs ccfleet may answer with yes. */
export type DialogPolicy = {
	/** The user chose the folder when delegating. */
	trustWorkspace: boolean;
	approveApiKey: boolean;
	/** The bypass dialog is confirmed only for a task that asked for bypassPermissions. */
	permissionMode: PermissionMode;
	cwd: string;
};

type StartupTerminal = {
	screen: WorkerScreen;
	write(data: string): void;
	/** The first turn started or the process ended: nothing is left to answer. */
	isPastStartup(): boolean;
	onAnswered(dialog: StartupDialog): void;
	/** A dialog ccfleet may not answer: the worker cannot start. */
	onRefused(dialog: StartupDialog, reason: string): void;
};

/**
 * Reads a worker's screen until its first turn starts: answers the start-up dialogs as the policy allows, and
 * pastes a prompt too large for argv once the input box is ready.
 */
export class StartupScreen {
	readonly #terminal: StartupTerminal;
	readonly #policy: DialogPolicy;
	#pastePrompt: string | undefined;
	readonly #answered = new Set<StartupDialog>();
	#check: NodeJS.Timeout | undefined;

	constructor(terminal: StartupTerminal, policy: DialogPolicy, pastePrompt: string | undefined) {
		this.#terminal = terminal;
		this.#policy = policy;
		this.#pastePrompt = pastePrompt;
	}

	/** The worker drew something. */
	onOutput(): void {
		if (this.#terminal.isPastStartup()) return;
		this.#check ??= setTimeout(() => {
			this.#check = undefined;
			void this.#checkScreen();
		}, SCREEN_CHECK_MS);
	}

	dispose(): void {
		clearTimeout(this.#check);
	}

	async #checkScreen(): Promise<void> {
		const terminal = this.#terminal;
		if (terminal.isPastStartup()) return;
		await terminal.screen.flush();
		const text = terminal.screen.text();
		const dialog = detectStartupDialog(text);
		if (dialog && !this.#answered.has(dialog)) {
			this.#answer(dialog);
			return;
		}
		if (this.#pastePrompt !== undefined && isPromptReady(text)) {
			const prompt = this.#pastePrompt;
			this.#pastePrompt = undefined;
			// A paste-end sequence inside the text would end the paste early and submit half the prompt.
			const safe = prompt.replaceAll('\u001B[201~', '');
			terminal.write(`\u001B[200~${safe}\u001B[201~`);
			setTimeout(() => terminal.write('\r'), PASTE_SUBMIT_DELAY_MS);
		}
	}

	#answer(dialog: StartupDialog): void {
		const reason = refusal(dialog, this.#policy);
		if (reason) {
			this.#terminal.onRefused(dialog, reason);
			return;
		}
		this.#answered.add(dialog);
		this.#terminal.onAnswered(dialog);
		void this.#type(DIALOG_KEYS[dialog]);
	}

	async #type(keys: string[]): Promise<void> {
		for (const key of keys) {
			// The dialog is drawn a moment before it takes keys; a key sent at once is lost.
			await new Promise(resolve => setTimeout(resolve, KEY_GAP_MS));
			this.#terminal.write(key);
		}
	}
}

/** Why ccfleet may not answer this dialog; undefined when it may. */
function refusal(dialog: StartupDialog, policy: DialogPolicy): string | undefined {
	switch (dialog) {
		case 'trust':
			return policy.trustWorkspace
				? undefined
				: `claude asks whether to trust ${policy.cwd} and ccfleet is set not to answer it (CCFLEET_TRUST_WORKSPACE=0). Run claude once in that folder and trust it, or allow ccfleet to.`;
		case 'api-key':
			return policy.approveApiKey
				? undefined
				: 'claude asks whether to use the API key from the environment and ccfleet is set not to answer it (CCFLEET_APPROVE_API_KEY=0). Approve it once in claude, or allow ccfleet to.';
		case 'bypass-permissions':
			return policy.permissionMode === 'bypassPermissions' ? undefined : 'claude asks to confirm bypass-permissions mode.';
	}
}
