import {Box, Text} from 'ink';
import {BINDING_GROUPS, KEYMAP} from '../keymap.js';
import {WIDE_COLUMNS} from '../layout.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

type HelpLine = {kind: 'group'; text: string} | {kind: 'key'; label: string; description: string};

const KEY_WIDTH = 10;

/** The help lines, generated from the keymap table, so a key cannot exist without being listed. */
function helpLines(): HelpLine[] {
	const lines: HelpLine[] = [];
	for (const group of BINDING_GROUPS) {
		lines.push({kind: 'group', text: group});
		for (const binding of KEYMAP.filter(entry => entry.group === group)) lines.push({kind: 'key', label: binding.label, description: binding.description});
	}
	return lines;
}

/** Every key, over the panes; in two columns when one does not fit. */
export function HelpOverlay({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const lines = helpLines();
	const rows = Math.max(1, height - 3);
	const columnCount = lines.length > rows && width >= 80 ? 2 : 1;
	const perColumn = Math.ceil(lines.length / columnCount);
	const columnWidth = Math.floor(width / columnCount);
	const columns = Array.from({length: columnCount}, (_, index) => lines.slice(index * perColumn, (index + 1) * perColumn).slice(0, rows));
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="Keys" detail="? or esc closes" isFocused width={width} />
			<Box flexDirection="row" width={width} height={rows}>
				{columns.map((column, index) => (
					<Box key={index} flexDirection="column" width={columnWidth}>
						{column.map(line => (
							<Box key={line.kind === 'group' ? line.text : `${line.label}:${line.description}`} width={columnWidth} height={1} flexShrink={0}>
								{line.kind === 'group' ? (
									<Text {...theme.paneTitle} wrap="truncate-end">
										{line.text}
									</Text>
								) : (
									<Text wrap="truncate-end">
										<Text {...theme.key}>{`  ${line.label.padEnd(KEY_WIDTH)}`}</Text>
										{line.description}
									</Text>
								)}
							</Box>
						))}
					</Box>
				))}
			</Box>
			<Text {...theme.muted} wrap="truncate-end">
				{`  Below ${WIDE_COLUMNS} columns, Output/DAG/Schedules share one place (last focused).`}
			</Text>
			<Text {...theme.muted} wrap="truncate-end">
				{'  In the form and dialogs, the keys are shown where they apply.'}
			</Text>
		</Box>
	);
}
