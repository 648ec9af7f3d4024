// Public surface of the periodic sync scheduler (issue 5): createScheduler and the types around it.
export {
  createScheduler,
  type Scheduler,
  type SchedulerOptions,
  type SchedulerStatus,
  type SchedulerStores,
  type TickReport,
} from './scheduler.js';
export type { ScheduledRunner, ScheduleState, SlotInfo, SlotOutcome } from './slot-runner.js';
export { domainOffsetMs, slotAt, slotTime } from './slots.js';
export { redisOptionsFromUrl } from './bullmq-driver.js';
