// A module worker of web/browser/jspi.html (?in=worker): the event side and, with JSPI, the
// guest too, in this one worker ({scenario, backend} in, runScenario's result out).
import { runScenario } from './jspi-run.js';

self.onmessage = async ({ data }) => self.postMessage(await runScenario(data.scenario, data.backend));
