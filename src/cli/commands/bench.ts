// Registers `myriad bench` (implemented in ../bench.ts).
export { registerBenchCommand as register } from '../bench.ts';
