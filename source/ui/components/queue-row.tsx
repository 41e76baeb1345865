import {Box, Text} from 'ink';
import {memo} from 'react';
import type {DashboardTask, FleetStatus} from '../fleet-source.js';
import {isHeld, shortHeldReason} from '../admission-text.js';
import {cell, clockTime, elapsed, oneLine, pinArrow} from '../format.js';
import {useTheme} from '../theme.js';

export type QueueRowProps = {
	task: DashboardTask;
	fleet: FleetStatus | undefined;
	now: number;
	isSelected: boolean;
	/** The row is selected in the focused pane, so it is drawn highlighted. */
	isHighlighted: boolean;
	/** Dependencies that have not completed yet, comma-separated (a string keeps the memo comparison cheap). */
	blockers: string;
	width: number;
};

/** The waiting column's width; narrower in a narrow pane, where the prompt needs the room more. */
const WAITS_FOR_CHARS = 22;
const NARROW_WAITS_FOR_CHARS = 19;
/** Below this, the pane is narrow. */
const NARROW_QUEUE = 90;

/** The place column's width: `#123`, `wait`, `park`. */
const PLACE_CHARS = 4;

/** Where a queued task stands: its place in line, `wait` (for its dependencies) or `park` (a usage limit). */
function placeLabel(task: DashboardTask): string {
	if (task.status === 'parked') return 'park';
	return task.queuePosition ? `#${task.queuePosition}` : 'wait';
}

/** What a queued task waits for, in a few words: the usage limit's reset for a parked one, its dependencies, then the fleet. */
function waitsFor(task: DashboardTask, fleet: FleetStatus | undefined, now: number, blockers: string, chars: number): string {
	if (task.status === 'parked') return task.parkedUntil === undefined ? 'parked: usage limit' : `parked until ${clockTime(task.parkedUntil, now)}`;
	if (blockers !== '') return `task ${blockers}`;
	// Pinned where no live host fits: the pin before its prompt says which.
	if (task.waitingFor !== undefined) return 'no live host fits';
	// Sharing a fleet: a task no host has claimed yet is in the fleet's queue, not in this host's line.
	if (fleet?.host !== undefined && task.queuePosition === undefined) return 'a host with room';
	if (fleet?.backoff && Date.parse(fleet.backoff.until) > now) return 'rate-limit back-off';
	// The hold is the next task's, and every ready task waits behind it.
	if (fleet && task.queuePosition !== undefined && isHeld(fleet)) {
		return `held: ${shortHeldReason(fleet, chars - 'held: '.length)}`;
	}
	if (fleet && fleet.workers.running >= fleet.workers.allowed) return `a worker (${fleet.workers.running}/${fleet.workers.allowed} busy)`;
	const ahead = (task.queuePosition ?? 1) - 1;
	return ahead > 0 ? `${ahead} ahead of it` : 'next to start';
}

/** A pinned task says where it may run before its prompt: `→b `, `→[big-ram] ` (a label). */
function pinText(task: DashboardTask): string {
	return task.pin === undefined ? '' : `${pinArrow(task.pin)} `;
}

/**
 * `› #1   P0 k3f9a2zq 3m12s  held: memory           Fix the flaky…`
 * `  park P1 m2c8d1xw 41m07s parked until 22:48     Port the parser…`
 */
export const QueueRow = memo(function QueueRow({task, fleet, now, isSelected, isHighlighted, blockers, width}: QueueRowProps) {
	const theme = useTheme();
	const waitsChars = width < NARROW_QUEUE ? NARROW_WAITS_FOR_CHARS : WAITS_FOR_CHARS;
	const text =
		`${isSelected ? '›' : ' '} ${cell(placeLabel(task), PLACE_CHARS)} ${task.priority} ${cell(task.id, 8)} ${cell(elapsed(task.createdAt, now), 6)} ` +
		`${cell(waitsFor(task, fleet, now, blockers, waitsChars), waitsChars)} ${pinText(task)}${oneLine(task.prompt)}`;
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end" {...(task.status === 'parked' ? theme.status.parked : {})} {...(isHighlighted ? theme.selected : {})}>
				{text}
			</Text>
		</Box>
	);
});
