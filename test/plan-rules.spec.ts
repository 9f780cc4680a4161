import { ApiError } from '../src/common/errors/api-error';
import { assertContentSize, assertFeature, assertMemberRoom, lifetimeMinutes, withRateOverrides } from '../src/billing/plan-rules';
import { Plan, PLANS } from '../src/billing/plans';

const hourLongPlan: Plan = { ...PLANS.free, maxLifetimeMinutes: 60 };

function thrown(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('lifetimeMinutes', () => {
  it('gives a views secret the plan’s longest lifetime', () => {
    expect(lifetimeMinutes(hourLongPlan)).toBe(60);
  });

  it('gives a minutes secret what it asked for, up to the plan’s longest', () => {
    expect(lifetimeMinutes(hourLongPlan, 60)).toBe(60);
    expect(lifetimeMinutes(hourLongPlan, 5)).toBe(5);
  });

  it('refuses a longer lifetime than the plan allows with a field error and code plan_limit', () => {
    const error = thrown(() => lifetimeMinutes(hourLongPlan, 61));
    expect(error.status).toBe(422);
    expect(error.body).toEqual({
      message: 'The given data was invalid.',
      errors: { expire_value: ['The free plan keeps secrets for at most 60 minutes.'] },
      code: 'plan_limit',
    });
  });

  it('names the field that asked for too long: a views secret’s expires_in_minutes', () => {
    expect(lifetimeMinutes(hourLongPlan, 30, 'expires_in_minutes')).toBe(30);
    const error = thrown(() => lifetimeMinutes(hourLongPlan, 61, 'expires_in_minutes'));
    expect([error.status, error.body]).toEqual([
      422,
      {
        message: 'The given data was invalid.',
        errors: { expires_in_minutes: ['The free plan keeps secrets for at most 60 minutes.'] },
        code: 'plan_limit',
      },
    ]);
  });
});

describe('the plan assertions', () => {
  it('refuses a feature the plan lacks with 403 plan_limit, naming the plan that has it', () => {
    const error = thrown(() => assertFeature(PLANS.free, 'webhooks'));
    expect([error.status, error.body.code, error.message]).toEqual([403, 'plan_limit', 'Webhooks are available on the pro plan.']);
    expect(thrown(() => assertFeature(PLANS.free, 'geo_blocking')).message).toBe('Geo-blocking is available on the pro plan.');
    expect(() => assertFeature(PLANS.pro, 'webhooks')).not.toThrow();
  });

  it('refuses content one byte over the plan’s limit with 413', () => {
    expect(() => assertContentSize(PLANS.free, PLANS.free.contentBytes)).not.toThrow();
    expect(thrown(() => assertContentSize(PLANS.free, PLANS.free.contentBytes + 1)).status).toBe(413);
  });

  it('refuses a member beyond the plan’s seats', () => {
    expect(() => assertMemberRoom(PLANS.free, PLANS.free.members - 1)).not.toThrow();
    expect(thrown(() => assertMemberRoom(PLANS.free, PLANS.free.members)).body.code).toBe('plan_limit');
  });
});

describe('withRateOverrides', () => {
  it('applies the operator’s RATE_LIMIT_* overrides and keeps the plan’s rates otherwise', () => {
    const plans = withRateOverrides({ free: { perMinute: 7, perSecond: undefined }, pro: {} });
    expect(plans.free.rates).toEqual({ ...PLANS.free.rates, perMinute: 7, teamPerMinute: 18 });
    expect(plans.pro.rates).toEqual(PLANS.pro.rates);
    expect(PLANS.free.rates.perMinute).not.toBe(7);
  });

  it('moves a team’s budget with its tokens’, so a raised token budget is not held at the plan’s team budget', () => {
    const plans = withRateOverrides({ free: { perMinute: 1000 }, pro: { perMinute: 8000 } });
    expect(plans.free.rates).toEqual({ perMinute: 1000, teamPerMinute: 2500, perSecond: 40 });
    expect(plans.pro.rates).toEqual({ perMinute: 8000, teamPerMinute: 40_000 });
  });
});
