import type {Key} from 'ink';

export type Command =
	| 'up'
	| 'down'
	| 'first'
	| 'last'
	| 'nextPane'
	| 'previousPane'
	| 'nextNeedsInput'
	| 'inbox'
	| 'dag'
	| 'schedules'
	| 'pauseSchedule'
	| 'details'
	| 'approve'
	| 'deny'
	| 'newTask'
	| 'cancel'
	| 'retry'
	| 'resume'
	| 'priorityUp'
	| 'priorityDown'
	| 'attach'
	| 'filter'
	| 'limits'
	| 'help'
	| 'back'
	| 'quit';

type KeyName = 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'return' | 'escape' | 'tab';

/** A typed character (`ctrl` for Ctrl+letter), or a named key (`shift` when it matters). */
export type KeySpec = {input: string; ctrl?: boolean} | {key: KeyName; shift?: boolean};

/** What the key table may look at to pick between two meanings of one key. */
export type KeyContext = {
	/** The selected task's worker waits for a permission answer. */
	selectedNeedsInput: boolean;
};

export type BindingGroup = 'Move' | 'Tasks' | 'Answer' | 'Dashboard';

export type Binding = {
	command: Command;
	keys: readonly KeySpec[];
	/** How the help overlay writes the keys. */
	label: string;
	/** At most 28 characters: the help shows two columns of them in 80 columns. */
	description: string;
	group: BindingGroup;
	/** The binding applies only when this holds; the table is read top-down, so a conditional binding comes first. */
	when?: (context: KeyContext) => boolean;
};

/**
 * Every key of the dashboard's normal mode, in one table: the controller resolves keys from it and the help overlay
 * is generated from it. Forms and dialogs show their own few keys where they are.
 *
 * `n` means deny while the selected worker waits for an answer (next to `y`, where the hand expects it) and new task
 * otherwise; `N` is new task always, so it can be typed without looking at the selection.
 */
export const KEYMAP: readonly Binding[] = [
	{command: 'up', keys: [{key: 'upArrow'}, {input: 'k'}], label: '↑ k', description: 'up (in Output: scroll back)', group: 'Move'},
	{command: 'down', keys: [{key: 'downArrow'}, {input: 'j'}], label: '↓ j', description: 'down (in Output: scroll on)', group: 'Move'},
	{command: 'first', keys: [{key: 'home'}, {input: 'g'}], label: 'g Home', description: 'first row (Output: oldest)', group: 'Move'},
	{command: 'last', keys: [{key: 'end'}, {input: 'G'}], label: 'G End', description: 'last row (Output: follow)', group: 'Move'},
	{command: 'nextPane', keys: [{key: 'tab', shift: false}], label: 'tab', description: 'next pane', group: 'Move'},
	{command: 'previousPane', keys: [{key: 'tab', shift: true}], label: 'shift-tab', description: 'previous pane', group: 'Move'},
	{command: 'nextNeedsInput', keys: [{input: 'i'}], label: 'i', description: 'next worker needing input', group: 'Move'},
	{command: 'dag', keys: [{input: 'd'}], label: 'd', description: "DAG: the task's family", group: 'Move'},
	{command: 'schedules', keys: [{input: 's'}], label: 's', description: 'Schedules', group: 'Move'},
	{command: 'details', keys: [{key: 'return'}], label: 'enter', description: 'details of the task', group: 'Tasks'},
	{command: 'newTask', keys: [{input: 'N'}], label: 'N', description: 'new task', group: 'Tasks'},
	{command: 'cancel', keys: [{input: 'c'}], label: 'c', description: 'cancel task/schedule (asks)', group: 'Tasks'},
	{command: 'pauseSchedule', keys: [{input: 'p'}], label: 'p', description: 'pause/resume the schedule', group: 'Tasks'},
	{command: 'retry', keys: [{input: 'r'}], label: 'r', description: 'retry a finished task', group: 'Tasks'},
	{command: 'resume', keys: [{input: 'R'}], label: 'R', description: 'resume a finished task', group: 'Tasks'},
	{command: 'priorityUp', keys: [{input: '+'}, {input: '='}], label: '+', description: 'raise priority (P2→P1→P0)', group: 'Tasks'},
	{command: 'priorityDown', keys: [{input: '-'}], label: '-', description: 'lower priority (P0→P1→P2)', group: 'Tasks'},
	{command: 'attach', keys: [{input: 'a'}], label: 'a', description: 'attach: its screen (^] back)', group: 'Tasks'},
	{command: 'approve', keys: [{input: 'y'}], label: 'y', description: 'approve permission prompt', group: 'Answer'},
	{command: 'inbox', keys: [{input: 'I'}], label: 'I', description: 'inbox: all waiting questions', group: 'Answer'},
	{
		command: 'deny',
		keys: [{input: 'n'}],
		label: 'n',
		description: 'deny it (when one waits)',
		group: 'Answer',
		when: context => context.selectedNeedsInput,
	},
	{command: 'newTask', keys: [{input: 'n'}], label: 'n', description: 'new task (when none waits)', group: 'Answer'},
	{command: 'filter', keys: [{input: '/'}], label: '/', description: 'filter: id, prompt, status…', group: 'Dashboard'},
	{command: 'limits', keys: [{input: 'L'}], label: 'L', description: 'limits: budget, ceiling…', group: 'Dashboard'},
	{command: 'back', keys: [{key: 'escape'}], label: 'esc', description: 'clear the filter / close', group: 'Dashboard'},
	{command: 'help', keys: [{input: '?'}], label: '?', description: 'this help', group: 'Dashboard'},
	{command: 'quit', keys: [{input: 'q'}, {input: 'c', ctrl: true}], label: 'q ^C', description: 'quit (asks if workers run)', group: 'Dashboard'},
];

export const BINDING_GROUPS: readonly BindingGroup[] = ['Move', 'Tasks', 'Answer', 'Dashboard'];

function matchesKey(spec: KeySpec, input: string, key: Key): boolean {
	if ('input' in spec) return input === spec.input && key.ctrl === (spec.ctrl ?? false);
	return key[spec.key] && (spec.shift === undefined || key.shift === spec.shift);
}

/** The command a key means in normal mode, or undefined for a key that means nothing. */
export function resolveCommand(input: string, key: Key, context: KeyContext): Command | undefined {
	for (const binding of KEYMAP) {
		if (binding.when && !binding.when(context)) continue;
		if (binding.keys.some(spec => matchesKey(spec, input, key))) return binding.command;
	}
	return undefined;
}
