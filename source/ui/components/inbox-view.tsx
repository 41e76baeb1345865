import {Box, Text} from 'ink';
import {cleanLine, duration} from '../format.js';
import {alikeIds, answerTargets, fitWords, shortDirectory, type InboxState, type QuestionView} from '../inbox.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

/** `›`, the mark, and the gaps between the columns: what a row takes besides the id, the time, the directory and the question. */
const MARK_WIDTH = 6;
const WAITED_WIDTH = 6;
const GAP = 2;
/** The directory's share of what the id and the time leave; up to half, to keep a long directory's last name whole. */
const DIRECTORY_SHARE = 0.35;

type Columns = {id: number; directory: number; question: number};

function columnsFor(questions: readonly QuestionView[], home: string | undefined, width: number): Columns {
	const id = Math.max(8, ...questions.map(question => question.taskId.length));
	const rest = width - MARK_WIDTH - id - GAP - WAITED_WIDTH - GAP;
	const longest = Math.max(9, ...questions.map(question => [...shortDirectory(question.cwd, home, Infinity)].length));
	// Room for at least the last name of each directory (`…/name`) while that takes no more than half the row.
	const lastNames = Math.max(...questions.map(question => [...(question.cwd.split('/').at(-1) ?? '')].length + 2));
	const directory = Math.min(longest, Math.max(8, Math.floor(rest * DIRECTORY_SHARE), Math.min(lastNames, Math.floor(rest / 2))));
	return {id, directory, question: Math.max(8, rest - directory - GAP)};
}

/** The keys, the longest form that fits: what y, n, A and T act on is said by the count of the marked rows. */
function keysLine(inbox: InboxState, width: number): string {
	const alike = alikeIds(inbox).length;
	const targets = answerTargets(inbox).length;
	const on = inbox.marked.length > 0 ? ` ${targets} marked` : '';
	const candidates = [
		`space mark · a mark alike (${alike}) · y approve${on} · n deny · A always: this project · T always: this task · esc close`,
		`space mark · a alike (${alike}) · y approve${on} · n deny · A always: project · T always: task · esc close`,
		`space mark · a alike (${alike}) · y approve${on} · n deny · A/T always: project/task · esc`,
		`space mark · a alike (${alike}) · y approve · n deny · A/T always project/task · esc`,
		`space mark · a alike · y/n · A/T always · esc`,
	];
	return candidates.find(text => [...text].length <= width) ?? fitWords(candidates.at(-1)!, width);
}

function Row({question, inbox, columns, now, width}: {question: QuestionView; inbox: InboxState; columns: Columns; now: number; width: number}) {
	const theme = useTheme();
	const isSelected = question.taskId === inbox.selected;
	const isMarked = inbox.marked.includes(question.taskId);
	const waited = duration(Math.max(question.waitingMs, now - Date.parse(question.askedAt)));
	// Another host's question names its host before the directory (that host answers it).
	const directory = shortDirectory(question.cwd, inbox.home, Math.max(4, columns.directory - (question.host ? question.host.length + 1 : 0)));
	const where = question.host ? `${question.host}:${directory}` : directory;
	const text = fitWords(cleanLine(question.question), columns.question);
	const gap = ' '.repeat(GAP);
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end" {...(isSelected ? theme.selected : {})}>
				{`${isSelected ? '›' : ' '} `}
				<Text {...(isMarked ? theme.key : theme.muted)}>{isMarked ? '[x]' : '[ ]'}</Text>
				{` ${question.taskId.padEnd(columns.id)}${gap}`}
				<Text {...theme.needsInput}>{waited.padStart(WAITED_WIDTH)}</Text>
				{`${gap}${where.padEnd(columns.directory)}${gap}${text}`}
			</Text>
		</Box>
	);
}

/**
 * The inbox (I): every permission question waiting across the fleet, oldest first, one row each (task, time waited,
 * directory, question), and the selected one's last lines of context below. Several are answered at once by marking
 * them (space, or `a` for every one alike).
 */
export function InboxView({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const inbox = useDashboard(state => (state.mode.kind === 'inbox' ? state.mode.inbox : undefined));
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	if (!inbox) return null;
	const {questions} = inbox;
	const marked = inbox.marked.length > 0 ? ` · ${inbox.marked.length} marked` : '';
	const title = <PaneTitle title="Inbox" detail={`${questions.length} waiting, oldest first${marked}`} isFocused width={width} />;
	if (questions.length === 0) {
		const words = inbox.isLoading ? 'Fetching the questions…' : (inbox.error ?? 'No question is waiting. A worker that asks for a permission shows up here.');
		return (
			<Box flexDirection="column" width={width} height={height} overflow="hidden">
				{title}
				<Text {...(inbox.error ? theme.error : theme.muted)} wrap="truncate-end">{`  ${fitWords(words, width - 2)}`}</Text>
				<Text {...theme.muted} wrap="truncate-end">
					{'  esc closes'}
				</Text>
			</Box>
		);
	}
	const columns = columnsFor(questions, inbox.home, width);
	// The title, the column names, the context's title and the keys take a line each; the list gets up to half the rest.
	const free = Math.max(2, height - 4);
	const listRows = Math.min(questions.length, Math.max(1, Math.ceil(free / 2)));
	const selectedIndex = Math.max(
		0,
		questions.findIndex(question => question.taskId === inbox.selected),
	);
	const first = Math.min(Math.max(0, selectedIndex - Math.floor(listRows / 2)), questions.length - listRows);
	const shown = questions.slice(first, first + listRows);
	const selected = questions[selectedIndex]!;
	const contextRows = Math.max(0, free - listRows);
	const context = selected.context.map(cleanLine).slice(-contextRows);
	const more = questions.length > listRows ? ` ${first + 1}-${first + shown.length} of ${questions.length}` : '';
	const heading = `  ${'   '} ${'task'.padEnd(columns.id)}  ${'waited'.padStart(WAITED_WIDTH)}  ${'directory'.padEnd(columns.directory)}  question${more}`;
	const about = fitWords(`${selected.taskId} · ${selected.prompt}`, Math.max(8, width - 14));
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			{title}
			<Text {...theme.muted} wrap="truncate-end">
				{fitWords(heading, width)}
			</Text>
			{shown.map(question => (
				<Row key={question.taskId} question={question} inbox={inbox} columns={columns} now={now} width={width} />
			))}
			<PaneTitle title="Context" detail={about} isFocused={false} width={width} />
			<Box flexDirection="column" width={width} height={contextRows} overflow="hidden">
				{context.length === 0 ? (
					<Text {...theme.muted}>{'  (no output before it asked)'}</Text>
				) : (
					context.map((line, index) => (
						<Text key={index} wrap="truncate-end">
							{fitWords(`  ${line}`, width)}
						</Text>
					))
				)}
			</Box>
			{inbox.denyReason === undefined ? (
				<Text {...theme.muted} wrap="truncate-end">
					{keysLine(inbox, width)}
				</Text>
			) : (
				<Text wrap="truncate-end">
					<Text {...theme.key}>{`Deny ${answerTargets(inbox).length} — why (optional): `}</Text>
					{`${inbox.denyReason}█  `}
					<Text {...theme.muted}>enter deny · esc back</Text>
				</Text>
			)}
		</Box>
	);
}
