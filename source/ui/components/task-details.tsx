import {Box, Text} from 'ink';
import type {DashboardTask} from '../fleet-source.js';
import {bytes, clockTime, count, duration, money, oneLine, wrap} from '../format.js';
import {isTerminal} from '../../core/domain/task.js';
import {failureAdvice} from '../failure-advice.js';
import {findTask, isLive, needsInput} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

const LABEL_WIDTH = 14;

/** Every line of a task's details at a width: labelled fields, then the prompt and the result wrapped in full. */
function detailLines(task: DashboardTask, width: number, now: number): string[] {
	const valueWidth = Math.max(10, width - LABEL_WIDTH - 2);
	const fields: Array<[string, string | undefined]> = [
		['id', task.id],
		['status', task.status + (task.activity && isLive(task) ? ` (${task.activity.tool}${task.activity.detail ? `: ${task.activity.detail}` : ''})` : '')],
		['waits for', task.question ? `${task.question.question}  → y approve · n deny` : undefined],
		['parked until', task.parkedUntil === undefined ? undefined : parkedText(task.parkedUntil, now)],
		['tool input', task.question ? oneLine(JSON.stringify(task.question.toolInput) ?? '') : undefined],
		['priority', task.priority + (task.queuePosition ? `, #${task.queuePosition} in the queue` : '')],
		['workflow', task.workflow ? `${task.workflow.name} ${task.workflow.id}, step ${task.workflow.step}${task.role ? ` (${task.role})` : ''}` : undefined],
		['directory', task.cwd],
		// A shared fleet: where it runs or ran, and where it may.
		['host', task.host],
		['runs only on', task.pin ? pinWords(task.pin) + (task.waitingFor ? `; no live host fits, it waits for ${task.waitingFor}` : '') : undefined],
		['worktree', task.worktree ? `${task.worktree.branch} (merge: ${task.mergeStrategy ?? 'manual'}${task.base ? ` onto ${task.base}` : ''})` : undefined],
		['verify', task.verify],
		['changes', task.merge?.summary ?? (task.worktree && task.endedAt ? 'landing: waiting for the merge queue' : undefined)],
		['pull request', task.merge?.pullRequestUrl],
		['created', localTime(task.createdAt)],
		['started', localTime(task.startedAt)],
		['ended', localTime(task.endedAt)],
		['attempts', String(task.attempts)],
		['cost', money(task.costUsd)],
		[
			'tokens',
			`${count(task.tokens.input)} in, ${count(task.tokens.output)} out, ${count(task.tokens.cacheRead)} cache read, ${count(task.tokens.cacheCreation)} cache write`,
		],
		['memory', task.rssBytes === undefined ? undefined : bytes(task.rssBytes)],
		['pid', task.pid === undefined ? undefined : String(task.pid)],
		['exit code', task.exitCode === undefined ? undefined : String(task.exitCode)],
		['failure', task.failureReason],
		['what to do', failureAdvice(task.failureReason)],
		['cancelled by', task.cancelledBy],
		['session', task.sessionId],
	];
	const lines: string[] = [];
	for (const [label, value] of fields) {
		if (value === undefined) continue;
		wrap(value, valueWidth).forEach((part, index) => lines.push(`${(index === 0 ? label : '').padEnd(LABEL_WIDTH)}${part}`));
	}
	lines.push('', 'prompt:', ...wrap(task.prompt, Math.max(10, width - 2)).map(line => `  ${line}`));
	if (task.result !== undefined) lines.push('', 'result:', ...wrap(task.result, Math.max(10, width - 2)).map(line => `  ${line}`));
	return lines;
}

/** "host c", "hosts with label gpu", "host c with label gpu". */
function pinWords(pin: {host?: string; label?: string}): string {
	if (pin.host && pin.label) return `host ${pin.host} with label ${pin.label}`;
	return pin.host ? `host ${pin.host}` : `hosts with label ${pin.label ?? ''}`;
}

/** The keys that do something to this task now: answer a question, cancel what has not ended, retry or resume what has. */
function detailKeys(task: DashboardTask): string {
	if (needsInput(task)) return ' · y approve · n deny · c cancel';
	if (!isTerminal(task.status)) return ' · c cancel';
	return ' · r retry · R resume';
}

/** An ISO time as the person's own clock reads it: `2026-11-30 14:05:09` in the local zone. */
function localTime(iso: string | undefined): string | undefined {
	if (iso === undefined) return undefined;
	const at = new Date(iso);
	const two = (n: number) => String(n).padStart(2, '0');
	return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** When a parked task goes on, in local time and from now, and why it waits. */
function parkedText(until: string, now: number): string {
	const left = Date.parse(until) - now;
	return `${clockTime(until, now)}${left > 0 ? ` (in ${duration(left)})` : ''}: the account's usage limit stopped its worker; it goes on from its conversation after the reset`;
}

/** The selected task in full, over the panes; scrolls with ↑/↓. */
export function TaskDetails({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const mode = useDashboard(state => state.mode);
	const task = useDashboard(state => (state.mode.kind === 'details' ? findTask(state, state.mode.taskId) : undefined));
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const rows = Math.max(0, height - 2);
	const lines = task ? detailLines(task, width, now) : ['That task is no longer in the snapshot.'];
	const maxScroll = Math.max(0, lines.length - rows);
	const scroll = Math.min(mode.kind === 'details' ? mode.scroll : 0, maxScroll);
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="Details" detail={task?.id} isFocused width={width} />
			{lines.slice(scroll, scroll + rows).map((line, index) => (
				<Box key={index} width={width} height={1} flexShrink={0}>
					<Text wrap="truncate-end">{line === '' ? ' ' : line}</Text>
				</Box>
			))}
			<Box flexGrow={1} />
			<Text {...theme.muted} wrap="truncate-end">
				{`  ↑↓ scroll${maxScroll > 0 ? ` (${scroll}/${maxScroll})` : ''} · esc close${task ? detailKeys(task) : ''}`}
			</Text>
		</Box>
	);
}
