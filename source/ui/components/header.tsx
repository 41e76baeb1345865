import {Box, Text} from 'ink';
import {budgetText, heldReason, holdKind, shortHeldReason, usageLimitText, workersText} from '../admission-text.js';
import {bytes, duration, fit, money} from '../format.js';
import {useDashboard} from '../store-context.js';
import {fitSegments, SEPARATOR, type Segment} from '../fit-segments.js';
import {useTheme, type TextStyle} from '../theme.js';

/**
 * The order in which pieces give way: the name, then long forms, then what says least about why a task does not
 * start. The hold's short form and the workers go last.
 */
const RANK = {
	heldSentence: 1,
	memoryLong: 2,
	cost: 3,
	cpu: 4,
	memory: 5,
	budget: 6,
	queued: 7,
	parked: 8,
	holdMeasure: 8.5,
	held: 9,
	heldShortest: 9.5,
	workers: 10,
	banner: 11,
} as const;

/** The hold's short form at most: room for the workers and the queue beside it in 80 columns. */
const SHORT_HELD_CHARS = 24;
/** A host id beside the name: room enough for the rest in 80 columns. */
const HOST_CHARS = 16;
/** Beside the name and the workers in 80 columns: a word or two. */
const SHORTEST_HELD_CHARS = 12;

/** The segments that fit whole: what cannot give way any more is left out rather than cut mid-word at the edge. */
function wholeSegments(segments: Array<{text: string; style?: TextStyle}>, width: number): Array<{text: string; style?: TextStyle}> {
	const kept: Array<{text: string; style?: TextStyle}> = [];
	let used = 0;
	for (const segment of segments) {
		const length = (kept.length === 0 ? 0 : SEPARATOR.length) + [...segment.text].length;
		if (used + length > width && kept.length > 0) break;
		kept.push(segment);
		used += length;
	}
	return kept;
}

/**
 * One line: the machine and the fleet at a glance, the most urgent first. Where it is too narrow, whole pieces
 * shorten or go, what tells least first (RANK), so no word is cut mid-way.
 */
export function Header({width}: {width: number}) {
	const theme = useTheme();
	const fleet = useDashboard(state => state.snapshot?.fleet);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const banner = useDashboard(state => state.banner);
	// The name stays at every width: it says what this screen is, and on a shared fleet which host's it is (the
	// workers, the hold, CPU and memory are that host's own; the questions and the queue, the fleet's).
	const name = fleet?.host === undefined ? 'ccfleet' : `ccfleet on ${fit(fleet.host, HOST_CHARS)}`;
	const segments: Segment[] = [{forms: [[name]], style: theme.paneTitle}];
	// The banner (the demo's "nothing leaves this machine") comes before any news; only the narrowest width shortens it.
	if (banner) segments.push({forms: [[banner, RANK.banner], [banner.split(/\s/)[0]!]], style: {...theme.warning, bold: true}});
	if (fleet) {
		const {system, admission} = fleet;
		const waiting = fleet.needsInput.length;
		const backoffMs = fleet.backoff ? Date.parse(fleet.backoff.until) - now : 0;
		// With several waiting, the inbox (I) answers them together: said while there is room.
		const needs = `! ${waiting} need${waiting === 1 ? 's' : ''} input`;
		if (waiting > 0) segments.push({forms: waiting > 1 ? [[`${needs} (i · I inbox)`, RANK.cost], [`${needs} (i)`]] : [[`${needs} (i)`]], style: theme.needsInput});
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
				[`held: ${shortHeldReason(fleet, SHORTEST_HELD_CHARS)}`, RANK.heldShortest],
			];
			segments.push({forms, style: theme.warning});
		}
		const free = `${bytes(system.memoryFreeBytes)}/${bytes(system.memoryTotalBytes)}`;
		// The measure that holds the queue stays almost as long as the hold itself.
		const memory: Segment['forms'] = [[`mem ${free} free`, kind === 'memory' ? RANK.holdMeasure : RANK.memory]];
		// What the workers take beside what the machine has left: the two numbers admission weighs.
		if (admission.workerBytes > 0) memory.unshift([`mem: workers ${bytes(admission.workerBytes)} · free ${free}`, RANK.memoryLong]);
		const spent = budgetText(fleet);
		// A spent budget holds the queue, so it stays as long as the hold would.
		const isBudgetHold = holdKind(fleet) === 'budget';
		if (spent !== undefined) segments.push({forms: [[spent, isBudgetHold ? RANK.held : RANK.budget]], ...(isBudgetHold ? {style: theme.warning} : {})});
		segments.push(
			{forms: [[money(fleet.costUsd), RANK.cost]]},
			{forms: [[`CPU ${Math.round(system.cpuPercent)}%`, kind === 'cpu' ? RANK.holdMeasure : RANK.cpu]]},
			{forms: memory},
		);
	} else {
		segments.push({forms: [['connecting to the core…']], style: theme.muted});
	}
	const shown = wholeSegments(fitSegments(segments, width), width);
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
