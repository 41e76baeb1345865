import {Box, Text} from 'ink';
import {holdKind} from '../admission-text.js';
import {STATUS_MESSAGE_MS} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';

const HINTS = '? help · tab pane · enter details · N new · c cancel · y/n answer · i needs input · / filter · q quit';
const SHORT_HINTS = '? help · tab pane · N new · c cancel · y/n answer · i input · / filter · q quit';
/** In the inbox its own keys are above; the bottom line says only how to leave it, instead of keys that do not apply there. */
const INBOX_HINTS = 'inbox: its keys are above · esc, q or I back to the dashboard';
/** Put first while the spent daily budget holds the queue: the one key that lets the held work go on. */
const BUDGET_HINT = 'L raise the budget';
const BUDGET_HINTS = [`${BUDGET_HINT} · ${HINTS}`, `${BUDGET_HINT} · ${SHORT_HINTS}`, `${BUDGET_HINT} · ? help · tab pane · N new · y/n answer · / filter · q quit`];

/** The keys with the filter in force said first; the keys shorten so that `? help` and `q quit` stay in sight. */
function filteredHints(filter: string, width: number): string {
	const shownFilter = [...filter].length > 20 ? `${[...filter].slice(0, 19).join('')}…` : filter;
	const head = `filter "${shownFilter}" · esc clears`;
	const candidates = [`${head} · ${HINTS}`, `${head} · ${SHORT_HINTS}`, `${head} · ? help · / change · q quit`];
	return candidates.find(text => [...text].length <= width) ?? candidates.at(-1)!;
}

/** The bottom line: the filter being typed, else the latest message, else a lost connection, else the main keys. */
export function StatusBar({width}: {width: number}) {
	const theme = useTheme();
	const isFiltering = useDashboard(state => state.mode.kind === 'filter');
	const isInbox = useDashboard(state => state.mode.kind === 'inbox');
	const filter = useDashboard(state => state.filter);
	const status = useDashboard(state => state.status);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const connectionError = useDashboard(state => state.connectionError);
	const isBudgetHeld = useDashboard(state => state.snapshot !== undefined && holdKind(state.snapshot.fleet) === 'budget');
	const hints = isBudgetHeld ? (BUDGET_HINTS.find(text => [...text].length <= width) ?? BUDGET_HINTS.at(-1)!) : width >= HINTS.length ? HINTS : SHORT_HINTS;
	let content;
	if (isFiltering) {
		content = (
			<Text wrap="truncate-end">
				<Text {...theme.key}>/</Text>
				{` ${filter}█  `}
				<Text {...theme.muted}>enter keep · esc clear</Text>
			</Text>
		);
	} else if (connectionError) {
		content = <Text {...theme.error} wrap="truncate-end">{`Lost the core, reconnecting: ${connectionError}`}</Text>;
	} else if (status && now - status.at < STATUS_MESSAGE_MS) {
		const style = status.tone === 'error' ? theme.error : status.tone === 'success' ? theme.success : {};
		content = (
			<Text {...style} wrap="truncate-end">
				{status.text}
			</Text>
		);
	} else {
		content = (
			<Text {...theme.muted} wrap="truncate-end">
				{isInbox ? INBOX_HINTS : filter === '' ? hints : filteredHints(filter, width)}
			</Text>
		);
	}
	return (
		<Box width={width} height={1} flexShrink={0}>
			{content}
		</Box>
	);
}
