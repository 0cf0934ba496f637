import { runAdapterScenarios } from './scenarios.js';
import { wsHarness } from './ws.harness.js';

runAdapterScenarios(wsHarness('server'));
runAdapterScenarios(wsHarness('noServer'));
