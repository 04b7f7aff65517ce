/** Moved to language/types.ts (the language defines the lowered records); kept while branches merge. */
export * from '../language/types.js';
