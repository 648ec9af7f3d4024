// Public surface of the periodic sync scheduler (issue 5): createScheduler and the types around it.
export { createScheduler } from './scheduler.js';
export type {
  Scheduler,
  SchedulerOptions,
  SchedulerStatus,
  SchedulerStores,
  TickReport,
} from './scheduler-contract.js';
export type { ScheduledRunner, ScheduleState, SlotInfo, SlotOutcome, SlotResult } from './slot-runner.js';
export { domainOffsetMs, slotAt, slotTime } from './slots.js';
export { redisOptionsFromUrl } from './bullmq-driver.js';
