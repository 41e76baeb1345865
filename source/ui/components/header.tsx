import {Box, Text} from 'ink';
import {budgetText, heldReason, holdKind, shortHeldReason, usageLimitText, workersText} from '../admission-text.js';
import {bytes, duration, money} from '../format.js';
import {useDashboard} from '../store-context.js';
import {fitSegments, SEPARATOR, type Segment} from '../fit-segments.js';
import {useTheme} from '../theme.js';

/**
 * The order in which pieces give way: the name, then long forms, then what says least about why a task does not
 * start. The hold's short form and the workers go last.
 */
const RANK = {name: 0, heldSentence: 1, memoryLong: 2, cost: 3, cpu: 4, memory: 5, budget: 6, queued: 7, parked: 8, held: 9, workers: 10} as const;

/** The hold's short form at most: room for the workers and the queue beside it in 80 columns. */
const SHORT_HELD_CHARS = 24;

/**
 * One line: the machine and the fleet at a glance, the most urgent first. Where it is too narrow, whole pieces
 * shorten or go, what tells least first (RANK), so no word is cut mid-way.
 */
export function Header({width}: {width: number}) {
	const theme = useTheme();
	const fleet = useDashboard(state => state.snapshot?.fleet);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const banner = useDashboard(state => state.banner);
	const segments: Segment[] = [{forms: [['ccfleet', RANK.name]], style: theme.paneTitle}];
	// The banner (the demo's "nothing leaves this machine") comes before any news, so no width can cut it.
	if (banner) segments.push({forms: [[banner]], style: {...theme.warning, bold: true}});
	if (fleet) {
		const {system, admission} = fleet;
		const waiting = fleet.needsInput.length;
		const backoffMs = fleet.backoff ? Date.parse(fleet.backoff.until) - now : 0;
		if (waiting > 0) segments.push({forms: [[`! ${waiting} need${waiting === 1 ? 's' : ''} input (i)`]], style: theme.needsInput});
		if (backoffMs > 0) segments.push({forms: [[`rate-limited: back-off ${duration(backoffMs)}`]], style: theme.warning});
		const limit = usageLimitText(fleet, now);
		// Reached, the limit stops every start until its reset: as urgent as the back-off, so no width drops it.
		if (limit !== undefined) segments.push({forms: fleet.usageLimit?.state === 'limited' ? [[limit]] : [[limit, RANK.held]], style: theme.warning});
		segments.push({forms: [[workersText(fleet), RANK.workers]]}, {forms: [[`queued ${fleet.queued}`, RANK.queued]]});
		const parked = fleet.counts.parked ?? 0;
		if (parked > 0) segments.push({forms: [[`${parked} parked`, RANK.parked]], style: theme.status.parked ?? {}});
		const held = heldReason(fleet, now);
		const kind = held === undefined ? undefined : holdKind(fleet);
		if (held !== undefined) {
			const forms: Segment['forms'] = [
				[`held: ${held}`, RANK.heldSentence],
				[`held: ${shortHeldReason(fleet, SHORT_HELD_CHARS)}`, RANK.held],
			];
			segments.push({forms, style: theme.warning});
		}
		const free = `${bytes(system.memoryFreeBytes)}/${bytes(system.memoryTotalBytes)}`;
		// The measure that holds the queue stays as long as the hold itself.
		const memory: Segment['forms'] = [[`mem ${free} free`, kind === 'memory' ? RANK.held : RANK.memory]];
		// What the workers take beside what the machine has left: the two numbers admission weighs.
		if (admission.workerBytes > 0) memory.unshift([`mem: workers ${bytes(admission.workerBytes)} · free ${free}`, RANK.memoryLong]);
		const spent = budgetText(fleet);
		// A spent budget holds the queue, so it stays as long as the hold would.
		const isBudgetHold = holdKind(fleet) === 'budget';
		if (spent !== undefined) segments.push({forms: [[spent, isBudgetHold ? RANK.held : RANK.budget]], ...(isBudgetHold ? {style: theme.warning} : {})});
		segments.push(
			{forms: [[money(fleet.costUsd), RANK.cost]]},
			{forms: [[`CPU ${Math.round(system.cpuPercent)}%`, kind === 'cpu' ? RANK.held : RANK.cpu]]},
			{forms: memory},
		);
	} else {
		segments.push({forms: [['connecting to the core…']], style: theme.muted});
	}
	const shown = fitSegments(segments, width);
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end">
				{shown.map((segment, index) => (
					<Text key={index} {...segment.style}>
						{(index === 0 ? '' : SEPARATOR) + segment.text}
					</Text>
				))}
			</Text>
		</Box>
	);
}
