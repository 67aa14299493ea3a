/**
 * The disaster brake of `titan supervise`: when more of an app's instances are lost within a window than a healthy
 * cluster loses, the cause is rarely the app (an agent rack, a network partition, a master that forgot its agents)
 * and relaunching every instance elsewhere makes it worse. The supervisor then stops relaunching the app and says
 * so until the instances come back or an operator acts (a deploy of the app, or a restart of the supervisor).
 * An immutable value: each function returns the next one.
 */
export interface BrakeSettings {
  /** Losses (distinct instances) within the window that trip the brake, at least. */
  count: number;
  /** ... and at least this fraction of the desired instances (0..1). */
  fraction: number;
  windowMs: number;
}

export const DEFAULT_BRAKE: BrakeSettings = { count: 3, fraction: 0.3, windowMs: 60_000 };

export interface Brake {
  readonly tripped: boolean;
  /** Why it tripped, in words, while it holds. */
  readonly reason?: string;
  /** When it tripped (epoch ms). */
  readonly since?: number;
  /** Instance → when it was last lost, within the window. */
  readonly losses: ReadonlyMap<number, number>;
}

/** Not tripped, no losses: where a supervisor starts, and what an operator's deploy leaves. */
export const BRAKE_RELEASED: Brake = { tripped: false, losses: new Map() };

/** The losses that trip the brake for this many desired instances. */
export function brakeThreshold(settings: BrakeSettings, desired: number): number {
  return Math.max(settings.count, Math.ceil(settings.fraction * desired));
}

/** An instance stopped running without titan killing it; `tripped` when this loss tripped the brake. */
export function noteLoss(
  brake: Brake,
  settings: BrakeSettings,
  loss: { instance: number; now: number; desired: number },
): { brake: Brake; tripped: boolean } {
  const losses = new Map(recent(brake.losses, settings, loss.now));
  losses.set(loss.instance, loss.now);
  const noted = { ...brake, losses };
  if (brake.tripped || loss.desired === 0 || losses.size < brakeThreshold(settings, loss.desired))
    return { brake: noted, tripped: false };
  const window = Math.round(settings.windowMs / 1000);
  const reason = `${losses.size} of ${loss.desired} instances lost within ${window}s`;
  return { brake: { tripped: true, since: loss.now, reason, losses }, tripped: true };
}

/**
 * The app recovered when fewer instances are missing than would trip the brake (the lost ones came back on their
 * own); `released` when this released it.
 */
export function brakeRecovered(
  brake: Brake,
  settings: BrakeSettings,
  state: { missing: number; desired: number; now: number },
): { brake: Brake; released: boolean } {
  if (!brake.tripped || state.missing >= brakeThreshold(settings, state.desired))
    return { brake, released: false };
  return { brake: BRAKE_RELEASED, released: true };
}

function recent(
  losses: ReadonlyMap<number, number>,
  settings: BrakeSettings,
  now: number,
): ReadonlyMap<number, number> {
  const kept = [...losses].filter(([, at]) => now - at <= settings.windowMs);
  return kept.length === losses.size ? losses : new Map(kept);
}
