import {Box, Text} from 'ink';
import {PRIORITIES} from '../../core/domain/task.js';
import {oneLine} from '../format.js';
import type {FormField} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

const LABELS: Record<FormField, string> = {prompt: 'Prompt', cwd: 'Directory', priority: 'Priority', dependsOn: 'Depends on'};
const LABEL_WIDTH = 12;

/** Shows the end of a long value, where the typing happens. */
function tail(text: string, width: number): string {
	const points = [...text];
	return points.length <= width ? text : `…${points.slice(points.length - width + 1).join('')}`;
}

/** The `N` form: prompt, directory, priority and dependencies of a new task. Enter submits; the controller does the typing. */
export function NewTaskForm({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const draft = useDashboard(state => (state.mode.kind === 'form' ? state.mode.draft : undefined));
	if (!draft) return null;
	const valueWidth = Math.max(5, width - LABEL_WIDTH - 4);
	const line = (field: FormField, value: string) => {
		const isActive = draft.field === field;
		return (
			<Box key={field} width={width} height={1} flexShrink={0}>
				<Text wrap="truncate-end">
					<Text {...(isActive ? theme.key : {})}>{`${isActive ? '›' : ' '} ${LABELS[field].padEnd(LABEL_WIDTH)}`}</Text>
					{value}
				</Text>
			</Box>
		);
	};
	const cursor = (field: FormField) => (draft.field === field ? '█' : '');
	const priorities = PRIORITIES.map(priority => (priority === draft.priority ? `[${priority}]` : ` ${priority} `)).join(' ');
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="New task" isFocused width={width} />
			{line('prompt', tail(oneLine(draft.prompt), valueWidth - 1) + cursor('prompt'))}
			{line('cwd', tail(draft.cwd, valueWidth - 1) + cursor('cwd'))}
			{line('priority', `${priorities}${draft.field === 'priority' ? '   ←/→ or 0-2' : ''}`)}
			{line('dependsOn', tail(draft.dependsOn, valueWidth - 1) + cursor('dependsOn') + (draft.field === 'dependsOn' && !draft.dependsOn ? '   task ids, optional' : ''))}
			<Text> </Text>
			{draft.error ? (
				<Text {...theme.error} wrap="truncate-end">
					{`  ${draft.error}`}
				</Text>
			) : null}
			{draft.isSubmitting ? <Text {...theme.muted}> Handing it over…</Text> : null}
			<Box flexGrow={1} />
			<Text {...theme.muted} wrap="truncate-end">
				{'  enter submit · tab/↓ next field · shift-tab/↑ previous · ^U clear field · esc cancel'}
			</Text>
		</Box>
	);
}
