import type {Key} from 'ink';
import {createControllerContext, type ControllerDeps} from './controller/context.js';
import {handleConfirmKey, handleDetailsKey, handleFilterKey, handleHelpKey} from './controller/dialogs.js';
import {isNavigation, navigate} from './controller/navigation.js';
import {createInboxKeys} from './controller/inbox-keys.js';
import {handleLimitsKey} from './controller/limits-keys.js';
import {handleFormKey} from './controller/new-task-keys.js';
import {runAction} from './controller/task-actions.js';
import {resolveCommand, type Command} from './keymap.js';
import {needsInput, selectedTask, setStatus} from './store.js';

export type {ControllerDeps, QuitChoice} from './controller/context.js';

export type Controller = {
	handleKey(input: string, key: Key): void;
	/** Runs a normal-mode command; resolves when its action (if any) has answered. Never rejects. */
	run(command: Command): Promise<void>;
};

/**
 * Turns keys into store changes and fleet actions: routes each key by the mode (normal, a dialog, the form, the
 * filter) to the module that handles it. It is the dashboard's only caller of the FleetSource's actions, which keeps
 * the components pure; every failure ends in the status bar, never in an exception.
 */
export function createController(deps: ControllerDeps): Controller {
	const context = createControllerContext(deps);
	const {store} = context;
	const inbox = createInboxKeys(context);

	const run = async (command: Command): Promise<void> => {
		if (isNavigation(command)) navigate(context, command);
		else if (command === 'inbox') inbox.open();
		else await runAction(context, command);
	};

	// `run` catches what the fleet throws; this catches the rest (a bug), so no key ever ends in an unhandled rejection.
	const safeRun = (command: Command) => run(command).catch((error: unknown) => setStatus(store, String(error), 'error'));

	const handleNormal = (input: string, key: Key) => {
		const task = selectedTask(store.getState());
		const command = resolveCommand(input, key, {selectedNeedsInput: task !== undefined && needsInput(task)});
		if (command) void safeRun(command);
	};

	const handleKey = (input: string, key: Key): void => {
		const {mode} = store.getState();
		// Keys typed faster than the app reads them (or a held key) arrive as one string: outside text fields,
		// they are still one command each, and a command that opens a form hands it the rest.
		if (mode.kind !== 'form' && mode.kind !== 'limits' && mode.kind !== 'filter' && !key.ctrl && !key.meta && [...input].length > 1) {
			for (const character of input) handleKey(character, {...key, shift: character !== character.toLowerCase()});
			return;
		}
		switch (mode.kind) {
			case 'help':
				handleHelpKey(context, input, key);
				return;
			case 'details':
				handleDetailsKey(context, input, key, handleNormal);
				return;
			case 'confirm':
				handleConfirmKey(context, input, key);
				return;
			case 'form':
				handleFormKey(context, input, key);
				return;
			case 'limits':
				handleLimitsKey(context, input, key);
				return;
			case 'filter':
				handleFilterKey(context, input, key);
				return;
			case 'inbox':
				inbox.handleKey(input, key);
				return;
			case 'normal':
				handleNormal(input, key);
				return;
		}
	};

	return {run: safeRun, handleKey};
}
