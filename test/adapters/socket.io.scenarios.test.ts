import { runAdapterScenarios } from './scenarios.js';
import { socketIoHarness } from './socket.io.harness.js';

runAdapterScenarios(socketIoHarness('websocket'));
runAdapterScenarios(socketIoHarness('polling'));
