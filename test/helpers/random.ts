/** The seeded PRNG the engine exports (mulberry32), so randomised tests and benchmarks repeat exactly. */
export { mulberry32 as rng } from '../../server/src/engine/weights.js';
