// `npm run bench:memory`: only the drover-alone memory run of `npm run bench` (memory.ts), printed as
// its MemoryReport JSON — for iterating on memory without the whole benchmark. BENCH_APPS picks the
// app count (default 5000); BENCH_DROVER_NODE_FLAGS, BENCH_HEAP_SNAPSHOT and BENCH_ALLOC_PROFILE work
// as in the full bench.
import { measureDroverMemory } from './memory.js';

const n = Number(process.env.BENCH_APPS ?? 5000);
console.log(JSON.stringify(await measureDroverMemory(n)));
