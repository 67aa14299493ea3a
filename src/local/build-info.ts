/**
 * The build a Mesos master and agent report beside their version (src/version/version.hpp `version()`, the
 * `build_*` fields of `/state`, `/version` and `GET_VERSION`): the local cluster claims one build of 1.12.0.
 */
export const BUILD_INFO = {
  build_date: "2024-08-23 00:00:00",
  build_time: 1724371200,
  build_user: "titan",
} as const;
