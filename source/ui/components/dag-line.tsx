import {Box, Text} from 'ink';
import type {DagRow} from '../dag-layout.js';
import {cell, oneLine} from '../format.js';
import {useTheme} from '../theme.js';

const NODE_GLYPH = /[●◉]/;
/** The longest status, needs_input: the prompts after the statuses start in one column. */
const STATUS_WIDTH = 11;
/** Enough of a prompt for one line; a prompt can be megabytes. */
const LABEL_CHARS = 300;

/** `› ├─◉ k3f9a2zq running  Implement the parser`: the node's glyph and status in the status colour. */
export function DagLine({row, width, isFocused}: {row: DagRow; width: number; isFocused: boolean}) {
	const theme = useTheme();
	const {node} = row;
	const glyphAt = row.gutter.search(NODE_GLYPH);
	const statusStyle = node ? (theme.status[node.status] ?? {}) : {};
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end">
				{node?.isSelected ? '› ' : '  '}
				{glyphAt < 0 ? (
					row.gutter
				) : (
					<>
						{row.gutter.slice(0, glyphAt)}
						<Text {...statusStyle}>{row.gutter[glyphAt]}</Text>
						{row.gutter.slice(glyphAt + 1)}
					</>
				)}
				{node ? (
					<>
						{' '}
						<Text {...(node.isSelected && isFocused ? theme.selected : {})}>{node.id}</Text> <Text {...statusStyle}>{cell(node.status, STATUS_WIDTH)}</Text>
						{node.label ? <Text {...theme.muted}>{` ${oneLine(node.label.slice(0, LABEL_CHARS))}`}</Text> : null}
					</>
				) : null}
			</Text>
		</Box>
	);
}
