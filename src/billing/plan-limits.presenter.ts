import type { PlanLimitsResponse } from './plan-limits.response';
import type { Plan } from './plans';

export function presentLimits(plan: Plan): PlanLimitsResponse {
  return {
    content_bytes: plan.contentBytes,
    max_lifetime_minutes: plan.maxLifetimeMinutes,
    members: plan.members,
    file_bytes: plan.fileBytes,
    file_storage_bytes: plan.fileStorageBytes,
    content_bytes_per_month: plan.contentBytesPerMonth,
    requests_per_minute: plan.rates.perMinute,
    requests_per_second: plan.rates.perSecond ?? null,
    team_requests_per_minute: plan.rates.teamPerMinute,
    features: { ...plan.features },
  };
}
