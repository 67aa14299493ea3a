/**
 * The range of every number in a manifest. Each is far beyond what a sane app asks for and well inside what
 * titan can compute with (a plan allocates per instance; timers overflow past 24.8 days).
 */
export const MAX_INSTANCES = 10_000;
export const MIN_CPUS = 0.001;
export const MAX_CPUS = 1024;
/** The least memory an instance may ask for, in MB. */
export const MIN_MEM_MB = 1;
/** 16Ti of memory per instance, in MB. */
export const MAX_MEM_MB = 16 * 1024 * 1024;
/** 64Ti of sandbox disk per instance, in MB. */
export const MAX_DISK_MB = 64 * 1024 * 1024;
export const MAX_GPUS = 64;
/** Every duration in a manifest: at most a day. */
export const MAX_DURATION_MS = 24 * 3_600_000;
export const MAX_HEALTH_FAILURES = 100;
export const MAX_RESTART_FACTOR = 10;
