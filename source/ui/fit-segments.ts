import type {TextStyle} from './theme.js';

/**
 * One piece of a one-line bar, as forms from the fullest to the shortest. Each form has the rank at which it gives way
 * when the line is too long (lowest first) to the next form, and the last form to nothing. A form without a rank
 * stays: Ink cuts the line's end as the last resort.
 */
export type Segment = {forms: Array<[text: string, rank?: number]>; style?: TextStyle};

/** Between two pieces. */
export const SEPARATOR = '  ';

/** How long the line is with each segment at the form it has reached. */
function lineLength(segments: Segment[], form: number[]): number {
	let length = 0;
	let shown = 0;
	segments.forEach((segment, index) => {
		const text = segment.forms[form[index]!]?.[0];
		if (text === undefined) return;
		length += [...text].length;
		shown++;
	});
	return length + Math.max(0, shown - 1) * SEPARATOR.length;
}

/**
 * The segments as the line fits `width`: whole pieces shorten or go, so no word is cut mid-way. Giving way
 * lowest rank first can free more than the last step needed, so the steps are then taken back, the most important
 * first, wherever the line still fits.
 */
export function fitSegments(segments: Segment[], width: number): Array<{text: string; style?: TextStyle}> {
	const form = segments.map(() => 0);
	const steps: number[] = [];
	while (lineLength(segments, form) > width) {
		let pick = -1;
		let pickRank = Number.POSITIVE_INFINITY;
		segments.forEach((segment, index) => {
			const rank = segment.forms[form[index]!]?.[1];
			if (rank !== undefined && rank < pickRank) {
				pick = index;
				pickRank = rank;
			}
		});
		if (pick === -1) break;
		form[pick]!++;
		steps.push(pick);
	}
	for (const index of steps.reverse()) {
		form[index]!--;
		if (lineLength(segments, form) > width) form[index]!++;
	}
	return segments.flatMap((segment, index) => {
		const text = segment.forms[form[index]!]?.[0];
		return text === undefined ? [] : [{text, ...(segment.style ? {style: segment.style} : {})}];
	});
}
