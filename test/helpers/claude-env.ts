// The seeded throwaway Claude Code config lives in source/demo/ (`ccfleet --demo` uses it); tests keep importing it from here.
export * from '../../source/demo/claude-env.js';
