// The tests start their workers the way the demo does (web/demo/pair.js).
export { startPair } from '../demo/pair.js';
