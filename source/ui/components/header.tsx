import {Box, Text} from 'ink';
import {bytes, duration, money} from '../format.js';
import {useDashboard} from '../store-context.js';
import {useTheme, type TextStyle} from '../theme.js';

type Segment = {text: string; style?: TextStyle};

/** One line: the machine and the fleet at a glance, the most urgent first, since a narrow terminal cuts the end. */
export function Header({width}: {width: number}) {
	const theme = useTheme();
	const fleet = useDashboard(state => state.snapshot?.fleet);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const banner = useDashboard(state => state.banner);
	const segments: Segment[] = [{text: 'ccfleet', style: theme.paneTitle}];
	// The banner (the demo's "nothing leaves this machine") comes before any news, so no width can cut it.
	if (banner) segments.push({text: banner, style: {...theme.warning, bold: true}});
	if (fleet) {
		const {system} = fleet;
		const waiting = fleet.needsInput.length;
		const backoffMs = fleet.backoff ? Date.parse(fleet.backoff.until) - now : 0;
		if (waiting > 0) segments.push({text: `! ${waiting} need${waiting === 1 ? 's' : ''} input (i)`, style: theme.needsInput});
		if (backoffMs > 0) segments.push({text: `rate-limited: back-off ${duration(backoffMs)}`, style: theme.warning});
		segments.push(
			{text: `workers ${fleet.workers.running}/${fleet.workers.allowed}`},
			{text: `queued ${fleet.queued}`},
			{text: money(fleet.costUsd)},
			{text: `CPU ${Math.round(system.cpuPercent)}%`},
			{text: `mem ${bytes(system.memoryFreeBytes)}/${bytes(system.memoryTotalBytes)} free`},
		);
	} else {
		segments.push({text: 'connecting to the core…', style: theme.muted});
	}
	const length = segments.reduce((sum, segment) => sum + segment.text.length + 2, -2);
	// In 80 columns the name is what can go: everything after it is news.
	const shown = length > width && (fleet || banner) ? segments.slice(1) : segments;
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end">
				{shown.map((segment, index) => (
					<Text key={segment.text} {...segment.style}>
						{(index === 0 ? '' : '  ') + segment.text}
					</Text>
				))}
			</Text>
		</Box>
	);
}
