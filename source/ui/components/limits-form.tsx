import {Box, Text} from 'ink';
import {money} from '../format.js';
import type {LimitField} from '../limits.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

const LABELS: Record<LimitField, string> = {
	dailyBudgetUsd: 'Daily budget',
	maxWorkers: 'Ceiling',
	cpuThresholdPercent: 'CPU threshold',
	memoryReserveBytes: 'Memory reserve',
	workerMaxRssBytes: 'Worker max RSS',
};
const UNITS: Record<LimitField, string> = {
	dailyBudgetUsd: 'USD, empty = none',
	maxWorkers: 'workers, empty = none',
	cpuThresholdPercent: '% busy before no more start',
	memoryReserveBytes: 'kept free, e.g. 2GB',
	workerMaxRssBytes: 'a worker past it is recycled',
};
const LABEL_WIDTH = 16;
const VALUE_WIDTH = 12;

/** The `L` form: the fleet's limits in force, editable; enter applies the fields changed. The controller does the typing. */
export function LimitsForm({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const draft = useDashboard(state => (state.mode.kind === 'limits' ? state.mode.draft : undefined));
	const spent = useDashboard(state => state.snapshot?.fleet.admission.spentTodayUsd);
	if (!draft) return null;
	// The core's refusals start with the setting's protocol name; the person knows it by its label.
	const error = draft.error?.startsWith(`${draft.field} `)
		? LABELS[draft.field] + draft.error.slice(draft.field.length)
		: draft.error && `${LABELS[draft.field]}: ${draft.error}`;
	const line = (field: LimitField) => {
		const isActive = draft.field === field;
		const value = draft.typed[field] + (isActive ? '█' : '');
		const isChanged = draft.typed[field].trim() !== draft.opened[field].trim();
		return (
			<Box key={field} width={width} height={1} flexShrink={0}>
				<Text wrap="truncate-end">
					<Text {...(isActive ? theme.key : {})}>{`${isActive ? '›' : ' '} ${LABELS[field].padEnd(LABEL_WIDTH)}`}</Text>
					{`${value.padEnd(VALUE_WIDTH)}${isChanged ? '*' : ' '} `}
					<Text {...theme.muted}>{UNITS[field]}</Text>
				</Text>
			</Box>
		);
	};
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="Fleet limits" {...(spent === undefined ? {} : {detail: `${money(spent)} spent today`})} isFocused width={width} />
			{line('dailyBudgetUsd')}
			{line('maxWorkers')}
			{line('cpuThresholdPercent')}
			{line('memoryReserveBytes')}
			{line('workerMaxRssBytes')}
			<Text> </Text>
			{error ? (
				<Box paddingLeft={2} width={width}>
					<Text {...theme.error} wrap="wrap">
						{error}
					</Text>
				</Box>
			) : null}
			{draft.isSubmitting ? <Text {...theme.muted}> Changing the limits…</Text> : null}
			<Box flexGrow={1} />
			<Text {...theme.muted} wrap="truncate-end">
				{'  enter apply the changed (*) · tab/↑/↓ field · ^U clear · esc cancel'}
			</Text>
		</Box>
	);
}
