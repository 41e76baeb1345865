import {expect, test} from 'vitest';
import {fitSegments, type Segment} from '../../source/ui/fit-segments.js';

const texts = (segments: Segment[], width: number) => fitSegments(segments, width).map(segment => segment.text);

const bar: Segment[] = [
	{forms: [['name', 0]]},
	{forms: [['urgent']]},
	{
		forms: [
			['held: the whole sentence', 1],
			['held: short', 5],
		],
	},
	{forms: [['cost', 2]]},
	{forms: [['CPU 23%', 3]]},
];

test('everything at its fullest where it fits', () => {
	expect(texts(bar, 200)).toEqual(['name', 'urgent', 'held: the whole sentence', 'cost', 'CPU 23%']);
});

test('pieces shorten or go lowest rank first, whole', () => {
	expect(texts(bar, 39)).toEqual(['urgent', 'held: short', 'cost', 'CPU 23%']);
	expect(texts(bar, 28)).toEqual(['urgent', 'held: short', 'CPU 23%']);
	expect(texts(bar, 19)).toEqual(['urgent', 'held: short']);
});

test('a step that freed more than needed is taken back, the most important first, wherever it fits', () => {
	// The name went first, to make room for the sentence; once the sentence is short the name fits again.
	expect(texts(bar, 40)).toEqual(['name', 'urgent', 'held: short', 'cost', 'CPU 23%']);
	// "CPU 23%" went after "cost" and is tried first, but only "cost" fits back.
	expect(texts(bar, 25)).toEqual(['urgent', 'held: short', 'cost']);
});

test('a piece without a rank never goes: the line is left long for Ink to cut', () => {
	expect(texts(bar, 3)).toEqual(['urgent']);
});
