export {
  createMetrics,
  INSPECTION_BUCKETS,
  METRIC_PATTERNS,
  METRIC_THREAT_KINDS,
  OTHER,
  type GuardMetrics,
  type MetricsGuard,
  type MetricsOptions,
  type MetricsRequest,
  type MetricsResponse,
} from './prometheus.js';
