export { alertFilter, type AlertFilterOptions } from './filter.js';
export { webhookSink, type WebhookSink, type WebhookSinkOptions, type WebhookSinkStats } from './webhook.js';
export { CEF_SEVERITY, escapeCefHeader, escapeCefValue, formatCef, type CefOptions } from './cef.js';
export {
  formatSyslog,
  syslogSink,
  type SyslogFormatOptions,
  type SyslogSink,
  type SyslogSinkOptions,
  type SyslogSinkStats,
} from './syslog.js';
