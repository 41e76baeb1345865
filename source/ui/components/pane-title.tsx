import {Box, Text} from 'ink';
import {useTheme} from '../theme.js';

export type PaneTitleProps = {
	title: string;
	/** Counts, the task shown, the scroll position: whatever tells what the pane holds now. */
	detail?: string;
	isFocused: boolean;
	width: number;
};

/** A pane's title as a rule across its width: `▶ Workers 3 ─────`. The `▶` marks the focused pane without colour. */
export function PaneTitle({title, detail, isFocused, width}: PaneTitleProps) {
	const theme = useTheme();
	const head = `${isFocused ? '▶' : ' '} ${title}`;
	const tail = detail ? ` ${detail} ` : ' ';
	const rule = '─'.repeat(Math.max(0, width - [...head].length - [...tail].length));
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end">
				<Text {...(isFocused ? theme.focusedPaneTitle : theme.paneTitle)}>{head}</Text>
				<Text {...theme.muted}>
					{tail}
					{rule}
				</Text>
			</Text>
		</Box>
	);
}
