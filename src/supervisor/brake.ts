/**
 * The disaster brake: when more of an app's instances are lost within a window than a healthy cluster loses, the
 * cause is rarely the app (an agent rack, a network partition, a master that forgot its agents) and relaunching
 * every instance elsewhere makes it worse. The supervisor then stops relaunching the app and says so until the
 * instances come back or an operator acts (a deploy of the app, or a restart of the supervisor).
 */
export interface BrakeSettings {
  /** Losses (distinct instances) within the window that trip the brake, at least. */
  count: number;
  /** ... and at least this fraction of the desired instances (0..1). */
  fraction: number;
  windowMs: number;
}

export const DEFAULT_BRAKE: BrakeSettings = { count: 3, fraction: 0.3, windowMs: 60_000 };

export interface BrakeState {
  tripped: boolean;
  /** Why it tripped, in words, while it holds. */
  reason?: string;
  /** When it tripped (epoch ms). */
  since?: number;
}

/** Distinct instances lost within the window trip it; it releases when enough of them run again. */
export class DisasterBrake {
  /** Instance → when it was last lost. */
  private readonly losses = new Map<number, number>();
  private state: BrakeState = { tripped: false };

  constructor(private readonly settings: BrakeSettings) {}

  get current(): BrakeState {
    return this.state;
  }

  /** The losses that trip the brake for this many desired instances. */
  threshold(desired: number): number {
    return Math.max(this.settings.count, Math.ceil(this.settings.fraction * desired));
  }

  /** An instance stopped running without titan killing it. Returns true when this loss tripped the brake. */
  lost(instance: number, now: number, desired: number): boolean {
    this.prune(now);
    this.losses.set(instance, now);
    if (this.state.tripped || desired === 0) return false;
    const lost = this.losses.size;
    if (lost < this.threshold(desired)) return false;
    const window = Math.round(this.settings.windowMs / 1000);
    this.state = {
      tripped: true,
      since: now,
      reason: `${lost} of ${desired} instances lost within ${window}s`,
    };
    return true;
  }

  /**
   * The app recovered when fewer instances are missing than would trip the brake (the lost ones came back on
   * their own). Returns true when this released it.
   */
  recovered(missing: number, desired: number, now: number): boolean {
    this.prune(now);
    if (!this.state.tripped || missing >= this.threshold(desired)) return false;
    this.release();
    return true;
  }

  /** An operator acted (a deploy of the app ran): the supervisor starts over. */
  release(): void {
    this.state = { tripped: false };
    this.losses.clear();
  }

  private prune(now: number): void {
    for (const [instance, at] of this.losses)
      if (now - at > this.settings.windowMs) this.losses.delete(instance);
  }
}
